// A hostile or broken sender, played by a JS record session that writes crafted records: unsafe
// names in an offer, data beyond a file's offered size, a wrong FileDone hash, DataZstd and a
// compressed FileBatch. The receiver refuses each before anything reaches a sink, says why to the
// peer (ReceiverCancel), and rejects with the right kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake3 } from '@noble/hashes/blake3.js';
import { FrameReader } from '../src/protocol/frames.js';
import { Kind } from '../src/protocol/kinds.js';
import { EntryType, writeFileDone, writeOffer } from '../src/protocol/offer.js';
import { awaitOffer, receiveFiles } from '../src/protocol/receive.js';
import { RecordSession, parseReason } from '../src/protocol/session.js';
import { ChunkQueue } from '../src/protocol/transport.js';
import { TallowError } from '../src/protocol/errors.js';

function pair() {
  const ab = new ChunkQueue(); const ba = new ChunkQueue();
  const end = (inq, outq) => ({ read: () => inq.read(), write: async (b) => { outq.push(b.slice()); }, close: () => { outq.end(); inq.end(); } });
  const a = end(ba, ab); const b = end(ab, ba);
  const keys = () => ({ i2r: new Uint8Array(32).fill(9), r2i: new Uint8Array(32).fill(8) });
  return [new RecordSession(a, new FrameReader(a), keys(), true), new RecordSession(b, new FrameReader(b), keys(), false)];
}

const file = (path, size) => ({ type: EntryType.File, path, size: BigInt(size), mode: 0o644, mtime: 0n });
const offer = (entries, flags = 0) => writeOffer({ kind: 0, chunkSize: 1 << 20, flags, entries });

async function expectCancel(sender, reason) {
  const rec = await sender.next();
  assert.equal(rec.kind, Kind.ReceiverCancel);
  assert.equal(parseReason(rec.body).reason, reason);
}

for (const bad of ['../escape.txt', '/etc/passwd', 'a/../../b', 'dir\\x', 'ok/\u001b[31mred', 'CON', 'x\u202Etxt.exe']) {
  test(`an offered name ${JSON.stringify(bad)} is refused before the user sees the offer`, async () => {
    const [s, r] = pair();
    await s.send(Kind.Offer, offer([file('fine.txt', 1), file(bad, 1)]));
    await assert.rejects(awaitOffer(r), (e) => e instanceof TallowError && e.kind === 'protocol');
    await expectCancel(s, 4);
    s.close(); r.close();
  });
}

async function acceptedPair(entries, flags = 0) {
  const [s, r] = pair();
  await s.send(Kind.Offer, offer(entries, flags));
  const parsed = await awaitOffer(r);
  const opened = [];
  const sinkFor = async (f) => { const st = { path: f.path, closed: false, aborted: false }; opened.push(st); return { write: async () => {}, close: async () => { st.closed = true; }, abort: async () => { st.aborted = true; } }; };
  return { s, r, parsed, opened, sinkFor };
}

test('data beyond the offered size is refused and the sink aborted', async () => {
  const { s, r, parsed, opened, sinkFor } = await acceptedPair([file('a.bin', 4)]);
  await s.send(Kind.Data, new Uint8Array(5));
  await assert.rejects(receiveFiles(r, parsed, sinkFor), (e) => e.kind === 'protocol');
  assert.deepEqual(opened.map((o) => [o.closed, o.aborted]), [[false, true]]);
  await expectCancel(s, 4);
  s.close(); r.close();
});

test('a FileDone whose hash does not match is tampered: sink aborted, ReceiverCancel{integrity}', async () => {
  const { s, r, parsed, opened, sinkFor } = await acceptedPair([file('a.bin', 4)]);
  await s.send(Kind.Data, Uint8Array.of(1, 2, 3, 4));
  await s.send(Kind.FileDone, writeFileDone(0, 4, blake3(Uint8Array.of(1, 2, 3, 5))));
  await assert.rejects(receiveFiles(r, parsed, sinkFor), (e) => e.kind === 'tampered');
  assert.deepEqual(opened.map((o) => [o.closed, o.aborted]), [[false, true]]);
  await expectCancel(s, 5);
  s.close(); r.close();
});

test('DataZstd and a compressed FileBatch are refused (the page has no zstd)', async () => {
  const one = await acceptedPair([file('a.bin', 4)], 1);
  await one.s.send(Kind.DataZstd, new Uint8Array(10));
  await assert.rejects(receiveFiles(one.r, one.parsed, one.sinkFor), (e) => e.kind === 'protocol' && /--compress none/.test(e.message));
  await expectCancel(one.s, 4);
  one.s.close(); one.r.close();
  const two = await acceptedPair([file('a.bin', 4)], 3);
  await two.s.send(Kind.FileBatch, Uint8Array.of(1, 0, 0, 0));
  await assert.rejects(receiveFiles(two.r, two.parsed, two.sinkFor), (e) => e.kind === 'protocol');
  assert.equal(two.opened.length, 0);
  two.s.close(); two.r.close();
});

test('a raw FileBatch is checked file by file before any sink opens', async () => {
  const { s, r, parsed, opened, sinkFor } = await acceptedPair([file('a', 2), file('b', 3)], 2);
  const a = Uint8Array.of(1, 2); const b = Uint8Array.of(3, 4, 5);
  const batch = (hashB) => {
    const body = new Uint8Array(1 + 2 + 2 * 40 + 5);
    const v = new DataView(body.buffer);
    v.setUint16(1, 2); v.setUint32(3, 0); v.setUint32(7, 2); body.set(blake3(a), 11);
    v.setUint32(43, 1); v.setUint32(47, 3); body.set(hashB, 51);
    body.set(a, 83); body.set(b, 85);
    return body;
  };
  await s.send(Kind.FileBatch, batch(blake3(Uint8Array.of(9, 9, 9))));
  await assert.rejects(receiveFiles(r, parsed, sinkFor), (e) => e.kind === 'tampered');
  assert.equal(opened.length, 0, 'nothing opened: the batch failed as a whole');
  s.close(); r.close();
  const ok = await acceptedPair([file('a', 2), file('b', 3)], 2);
  await ok.s.send(Kind.FileBatch, batch(blake3(b)));
  await ok.s.send(Kind.End, new Uint8Array(0));
  const result = await receiveFiles(ok.r, ok.parsed, ok.sinkFor);
  assert.deepEqual(result, { fileCount: 2, bytes: 5 });
  assert.deepEqual(ok.opened.map((o) => o.closed), [true, true]);
  assert.equal((await ok.s.next()).kind, Kind.Done);
  ok.s.close(); ok.r.close();
});
