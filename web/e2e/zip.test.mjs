// The page's streaming ZIP64 writer against real readers: Info-ZIP `unzip -t` and Python's
// zipfile must accept the archive, and every entry's bytes, mode and CRC must round-trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipWriter } from '../src/ui/zip.js';
import { crc32Update } from '../src/ui/crc32.js';

test('crc32 known answers', () => {
  assert.equal(crc32Update(0, new TextEncoder().encode('123456789')), 0xCBF43926);
  const a = new TextEncoder().encode('1234'), b = new TextEncoder().encode('56789');
  assert.equal(crc32Update(crc32Update(0, a), b), 0xCBF43926);
  assert.equal(crc32Update(0, new Uint8Array(0)), 0);
});

async function build(entries) {
  const parts = [];
  const zip = new ZipWriter(async (bytes) => { parts.push(bytes.slice()); });
  for (const e of entries) {
    if (e.folder) { await zip.addFolder(e.name, e.mtimeMs); continue; }
    const w = await zip.openFile(e.name, { mtimeMs: e.mtimeMs, executable: e.executable });
    for (let i = 0; i < e.data.length; i += 7000) await w.write(e.data.subarray(i, i + 7000));
    await w.close();
  }
  await zip.finish();
  return Buffer.concat(parts);
}

test('unzip -t and python zipfile accept the archive and read back every entry', async () => {
  const big = new Uint8Array(300000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xFF;
  const entries = [
    { name: 'folder/a.txt', data: new TextEncoder().encode('hello zip\n'), mtimeMs: Date.UTC(2024, 4, 6, 7, 8, 10) },
    { name: 'folder/sub/ünïcode name.bin', data: big, mtimeMs: Date.UTC(2023, 0, 1) },
    { name: 'folder/run.sh', data: new TextEncoder().encode('#!/bin/sh\necho hi\n'), executable: true },
    { name: 'folder/empty.txt', data: new Uint8Array(0) },
    { name: 'folder/empty-dir', folder: true },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'tallow-zip-'));
  try {
    const path = join(dir, 't.zip');
    writeFileSync(path, await build(entries));
    const unzip = execFileSync('unzip', ['-t', path], { encoding: 'utf8' });
    assert.match(unzip, /No errors detected/);
    const py = execFileSync('python3', ['-c', `
import zipfile, sys, json, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.file_size, i.external_attr >> 16, hashlib.sha256(z.read(i)).hexdigest(), list(i.date_time)] for i in z.infolist()]))
`, path], { encoding: 'utf8' });
    const listed = JSON.parse(py);
    const { createHash } = await import('node:crypto');
    assert.equal(listed.length, entries.length);
    entries.forEach((e, i) => {
      const [name, size, mode, sha] = listed[i];
      assert.equal(name, e.folder ? e.name + '/' : e.name);
      if (e.folder) { assert.equal(mode, 0o40755); return; }
      assert.equal(size, e.data.length);
      assert.equal(mode, e.executable ? 0o100755 : 0o100644);
      assert.equal(sha, createHash('sha256').update(e.data).digest('hex'));
    });
    assert.deepEqual(listed[0][4], [2024, 5, 6, 7, 8, 10]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second open entry or writing after finish is refused', async () => {
  const zip = new ZipWriter(async () => {});
  await zip.openFile('a');
  await assert.rejects(zip.openFile('b'), /still open/);
  const done = new ZipWriter(async () => {});
  await done.finish();
  await assert.rejects(done.addFolder('x'), /finished/);
});
