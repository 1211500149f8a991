// Interop with the real CLI (node --test): a real `tallow relay serve` on 127.0.0.1 and real
// `tallow send` / `tallow receive` processes; the JS side runs over node:net with the same code
// the page runs over WebSocket. Every content is checked by hash on the other side.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startReceive, startSend, TallowError } from '../src/protocol/index.js';
import { memorySinks, runTallow, startRelay, tcpTransport } from '../testkit/helpers.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');
let relay;
let work;
before(async () => { relay = await startRelay(); work = mkdtempSync(join(tmpdir(), 'tallow-web-')); });
after(() => { relay?.stop(); if (work) rmSync(work, { recursive: true, force: true }); });
const relayArg = () => `127.0.0.1:${relay.port}`;
const connect = () => tcpTransport(relay.port);

test('receives a text from tallow send --text', async () => {
  const text = 'hello from the CLI ✓ — second line\nthird';
  const cli = runTallow(['send', '--relay', relayArg(), '--json', '--text', text]);
  const { code } = await cli.waitEvent('code');
  const r = await startReceive({ code, connect });
  assert.equal(r.offer.text, text);
  assert.equal(r.offer.fileCount, 0);
  assert.equal((await cli.done).code, 0);
});

test('receives a file and a folder tree from tallow send (BLAKE3 checked, contents compared)', async () => {
  const src = join(work, 'tree');
  mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(src, 'empty'));
  const contents = {
    'tree/big.bin': randomBytes(3 * 1024 * 1024 + 17),
    'tree/sub/small1.txt': randomBytes(1000),
    'tree/sub/small2.txt': randomBytes(5000),
    'tree/sub/deeper/zero.txt': Buffer.alloc(0),
    'tree/sub/deeper/mid.bin': randomBytes(300 * 1024),
  };
  for (const [p, b] of Object.entries(contents)) writeFileSync(join(work, p), b);
  const cli = runTallow(['send', '--relay', relayArg(), '--json', src]);
  const { code } = await cli.waitEvent('code');
  const r = await startReceive({ code, connect });
  assert.equal(r.offer.text, null);
  assert.equal(r.offer.fileCount, Object.keys(contents).length);
  assert.deepEqual(r.offer.folders, ['tree/empty']);
  const sinks = memorySinks();
  let last = null;
  const result = await r.accept({ openFile: sinks.openFile, onProgress: (p) => { last = p; } });
  assert.equal(result.fileCount, Object.keys(contents).length);
  for (const [p, b] of Object.entries(contents)) assert.equal(sha(sinks.files.get(p)), sha(b), p);
  assert.equal(last.bytes, last.totalBytes);
  const exit = await cli.done;
  assert.equal(exit.code, 0, exit.stderr);
});

test('sends files and a text to tallow receive (hashes compared on disk)', async () => {
  const out = join(work, 'in');
  mkdirSync(out);
  const a = randomBytes(2 * 1024 * 1024 + 5);
  const b = randomBytes(777);
  let code = null;
  const sending = startSend({
    items: [{ path: 'docs/a.bin', file: new Blob([a]) }, { path: 'docs/b.txt', file: new Blob([b]), executable: true }, { path: 'top.txt', file: new Blob([]) }],
    onCode: (c) => { code = c; }, connect,
  });
  while (code === null) await new Promise((r) => setTimeout(r, 20));
  assert.match(code, /^[1-9][0-9]*-[a-z]+-[a-z]+-[a-z]+$/);
  const cli = runTallow(['receive', code, '--relay', relayArg(), '--yes', '--out', out, '--json']);
  const sent = await sending;
  assert.equal(sent.fileCount, 3);
  const exit = await cli.done;
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(sha(readFileSync(join(out, 'docs/a.bin'))), sha(a));
  assert.equal(sha(readFileSync(join(out, 'docs/b.txt'))), sha(b));
  assert.equal(readFileSync(join(out, 'top.txt')).length, 0);

  let code2 = null;
  const textSend = startSend({ text: 'text from the browser ✓', onCode: (c) => { code2 = c; }, connect });
  while (code2 === null) await new Promise((r) => setTimeout(r, 20));
  const cli2 = runTallow(['receive', code2, '--relay', relayArg(), '--yes']);
  await textSend;
  const exit2 = await cli2.done;
  assert.equal(exit2.code, 0, exit2.stderr);
  assert.ok(exit2.stdout.includes('text from the browser ✓'));
});

test('the CLI says at once that the peer is a web browser, and sends it raw chunks only', async () => {
  // Compressible content with --compress zstd: the CLI would send DataZstd to another CLI.
  const src = join(work, 'p2p.txt');
  const line = 'the same line again and again, very compressible\n';
  writeFileSync(src, line.repeat(Math.ceil((3 * 1024 * 1024) / line.length)));
  const cli = runTallow(['send', '--relay', relayArg(), '--compress', 'zstd', src]);
  let code = null;
  const deadline = Date.now() + 10_000;
  while (code === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const text = cli.output();
    code = /\b([1-9][0-9]*-[a-z]+-[a-z]+-[a-z]+)\b/.exec(text)?.[1] ?? null;
  }
  assert.ok(code, 'the CLI printed a code');
  const r = await startReceive({ code, connect });
  const sinks = memorySinks();
  const started = Date.now();
  await r.accept({ openFile: sinks.openFile });
  assert.equal(sha(sinks.files.get('p2p.txt')), sha(readFileSync(src)));
  const exit = await cli.done;
  assert.equal(exit.code, 0, exit.stderr);
  assert.ok(Date.now() - started < 8000, 'no wait for a P2P timeout');
  assert.match(exit.stderr + exit.stdout, /The peer is a web browser: staying on the relay/);
});

test('a wrong code fails as wrong-code on both sides', async () => {
  const cli = runTallow(['send', '--relay', relayArg(), '--json', '--text', 'secret']);
  const { code } = await cli.waitEvent('code');
  const wrong = code.replace(/-[a-z]+$/, (w) => (w === '-abacus' ? '-abdomen' : '-abacus'));
  await assert.rejects(startReceive({ code: wrong, connect }), (e) => e instanceof TallowError && e.kind === 'wrong-code');
  const exit = await cli.done;
  assert.equal(exit.code, 6, exit.stderr);
});

test('a record flipped on the way is reported as tampered', async () => {
  const net = await import('node:net');
  const src = join(work, 'flip.bin');
  writeFileSync(src, randomBytes(4 * 1024 * 1024));
  // A proxy between this side and the relay that flips one byte 600 000 bytes into the relay→client
  // stream: after the handshake, inside the first 1 MiB data record.
  const proxy = net.createServer((client) => {
    const upstream = net.connect({ port: relay.port, host: '127.0.0.1' });
    let seen = 0;
    upstream.on('data', (d) => {
      const at = 600_000 - seen;
      if (at >= 0 && at < d.length) d[at] ^= 0x01;
      seen += d.length;
      client.write(d);
    });
    client.on('data', (d) => upstream.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {}); upstream.on('error', () => {});
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const cli = runTallow(['send', '--relay', relayArg(), '--json', src]);
    const { code } = await cli.waitEvent('code');
    const r = await startReceive({ code, connect: () => tcpTransport(proxy.address().port) });
    const sinks = memorySinks();
    await assert.rejects(r.accept({ openFile: sinks.openFile }), (e) => e instanceof TallowError && e.kind === 'tampered');
    assert.equal(sinks.files.size, 0, 'nothing was saved');
    const exit = await cli.done;
    assert.notEqual(exit.code, 0);
  } finally { proxy.close(); }
});

test('throughput of the receive path for a 100 MiB file', { timeout: 300_000 }, async () => {
  const src = join(work, 'hundred.bin');
  writeFileSync(src, randomBytes(100 * 1024 * 1024));
  const cli = runTallow(['send', '--relay', relayArg(), '--json', '--compress', 'none', src], { timeoutMs: 280_000 });
  const { code } = await cli.waitEvent('code');
  const r = await startReceive({ code, connect });
  const hash = createHash('sha256');
  const t0 = process.hrtime.bigint();
  await r.accept({ openFile: async () => ({ write: async (b) => { hash.update(b); }, close: async () => {}, abort: async () => {} }) });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const mbps = (100 * 1024 * 1024) / 1e6 / seconds;
  console.log(`# receive path: 100 MiB in ${seconds.toFixed(2)} s = ${mbps.toFixed(1)} MB/s`);
  assert.equal(hash.digest('hex'), sha(readFileSync(src)));
  assert.equal((await cli.done).code, 0);
});
