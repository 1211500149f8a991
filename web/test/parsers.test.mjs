// Unit tests of the bounded parsers and state pieces: frames over arbitrary chunking, hostile
// lengths, offers and batches from random bytes (never throw), the path rules, flow windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader, encodeFrame, MAX_UNPAIRED_LENGTH } from '../src/protocol/frames.js';
import { ChunkQueue } from '../src/protocol/transport.js';
import { parseOffer, writeOffer, parseFileBatch, parseAccept, parseFileDone, EntryType } from '../src/protocol/offer.js';
import { splitPath } from '../src/protocol/paths.js';
import { parseWelcome, relayError } from '../src/protocol/relay.js';
import { ReceiveWindow, SendWindow, TRANSFER_WINDOW } from '../src/protocol/flow.js';
import { TallowError } from '../src/protocol/errors.js';

function queueOf(bytes, pieces) {
  const q = new ChunkQueue();
  let at = 0;
  for (const n of pieces) { if (at >= bytes.length) break; q.push(bytes.subarray(at, Math.min(bytes.length, at + n))); at += n; }
  if (at < bytes.length) q.push(bytes.subarray(at));
  q.end();
  return q;
}

test('frames survive any chunking, including one byte at a time', async () => {
  const frames = [encodeFrame(0x20, new Uint8Array(3000).fill(7)), encodeFrame(0x02, Uint8Array.of(1, 2)), encodeFrame(0x09, new Uint8Array(0))];
  const all = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
  let o = 0; for (const f of frames) { all.set(f, o); o += f.length; }
  for (const pieces of [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ...new Array(3100).fill(1)], [4, 3001, 2], [all.length]]) {
    const r = new FrameReader(queueOf(all, pieces));
    const a = await r.read(); const b = await r.read(); const c = await r.read();
    assert.deepEqual([a.type, a.payload.length, b.type, [...b.payload], c.type, c.payload.length], [0x20, 3000, 0x02, [1, 2], 0x09, 0]);
    assert.equal(await r.read(), null);
  }
});

test('a hostile length is refused before anything is allocated; a cut frame is an error', async () => {
  const huge = Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0x20);
  await assert.rejects(new FrameReader(queueOf(huge, [5])).read(), (e) => e instanceof TallowError && e.kind === 'protocol');
  const big = encodeFrame(0x02, new Uint8Array(2000));
  await assert.rejects(new FrameReader(queueOf(big, [big.length])).read(MAX_UNPAIRED_LENGTH), TallowError);
  const cut = encodeFrame(0x20, new Uint8Array(100)).subarray(0, 50);
  await assert.rejects(new FrameReader(queueOf(cut, [50])).read(), TallowError);
  await assert.rejects(new FrameReader(queueOf(Uint8Array.of(0, 0, 0, 0, 1), [5])).read(), TallowError);
});

test('parsers return null on random and truncated input and never throw', () => {
  const offer = writeOffer({ kind: 0, chunkSize: 1 << 20, flags: 2, entries: [{ type: EntryType.File, path: 'a/b.txt', size: 5n, mode: 0o644, mtime: 1n }, { type: EntryType.Directory, path: 'a', size: 0n, mode: 0o755, mtime: 0n }] });
  assert.equal(parseOffer(offer).entries.length, 2);
  for (let cut = 0; cut < offer.length; cut++) assert.equal(parseOffer(offer.subarray(0, cut)), null);
  for (let i = 0; i < 2000; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 200)));
    for (const parse of [parseOffer, parseFileBatch, parseFileDone, parseWelcome]) parse(junk);
    parseAccept(junk);
    assert.ok(relayError(junk) instanceof TallowError);
  }
  const lying = Uint8Array.of(0, 0, 0, 4, 0, 0, 0, 0, 0x0f, 0x42, 0x40); // a million entries claimed, none there
  assert.equal(parseOffer(lying), null);
});

test('path rules match the CLI receiver', () => {
  for (const ok of ['a.txt', 'dir/sub/file', 'ünï/名前.txt', '.hidden/x']) assert.ok(splitPath(ok).parts, ok);
  for (const bad of ['', '/etc/passwd', '..', 'a/../b', 'a//b', './a', 'a\\b', 'C:x', 'CON', 'nul.txt', 'a\u0000b', 'a\u001bb', 'x\u202Ey', 'a\u0085', 'x'.repeat(256), 'a/'.repeat(65) + 'a']) {
    assert.ok(splitPath(bad).problem, JSON.stringify(bad));
  }
});

test('flow windows: the sender waits for grants; the receiver refuses an overrun and grants a quarter', async () => {
  const send = new SendWindow();
  await send.acquire(TRANSFER_WINDOW - 100);
  let moved = false;
  const waiting = send.acquire(1000).then(() => { moved = true; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(moved, false);
  send.grant(2000);
  await waiting;
  assert.equal(moved, true);
  const big = new SendWindow();
  await big.acquire(TRANSFER_WINDOW * 3); // one record of any size while nothing is outstanding
  const recv = new ReceiveWindow();
  assert.ok(recv.arrived(TRANSFER_WINDOW));
  assert.equal(recv.arrived(1), false);
  const r2 = new ReceiveWindow();
  r2.arrived(1000); r2.arrived(1000);
  assert.equal(r2.took(1000, false), 0);
  assert.equal(r2.took(1000, true), 2000);
});
