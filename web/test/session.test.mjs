// Record sessions JS↔JS over an in-memory pipe: a whole transfer with flow control (more than
// the window, so WindowUpdates must flow), keep-alives that hold a quiet session open, silence
// that ends it, a peer's Leave, and the answer to a CLI's P2PIntent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader } from '../src/protocol/frames.js';
import { Kind, P2P_WEB_VERSION } from '../src/protocol/kinds.js';
import { awaitOffer, receiveFiles } from '../src/protocol/receive.js';
import { planOffer, sendTransfer } from '../src/protocol/send.js';
import { RecordSession, reasonBody } from '../src/protocol/session.js';
import { RecordOpener, RecordSealer } from '../src/protocol/records.js';
import { ChunkQueue } from '../src/protocol/transport.js';
import { TallowError } from '../src/protocol/errors.js';

function pipe() {
  const ab = new ChunkQueue(); const ba = new ChunkQueue();
  const end = (inq, outq) => ({ read: () => inq.read(), write: async (b) => { outq.push(b.slice()); }, close: () => { outq.end(); inq.end(); } });
  return [end(ba, ab), end(ab, ba)];
}

const keys = () => ({ i2r: new Uint8Array(32).fill(1), r2i: new Uint8Array(32).fill(2) });

function pair(options = {}) {
  const [a, b] = pipe();
  return [new RecordSession(a, new FrameReader(a), keys(), true, options.a), new RecordSession(b, new FrameReader(b), keys(), false, options.b)];
}

test('a transfer larger than the flow window moves JS to JS and every file verifies', async () => {
  const [s, r] = pair();
  const big = crypto.getRandomValues(new Uint8Array(65536));
  const content = new Uint8Array(9 * 1024 * 1024 + 3);
  for (let i = 0; i < content.length; i += big.length) content.set(big.subarray(0, Math.min(big.length, content.length - i)), i);
  const plan = planOffer({ items: [{ path: 'd/big.bin', file: new Blob([content]) }, { path: 'd/e.txt', file: new Blob([]) }] });
  const sending = sendTransfer(s, plan);
  const parsed = await awaitOffer(r);
  await r.send(Kind.Accept, new Uint8Array(0));
  const got = new Map();
  const result = await receiveFiles(r, parsed, async (f) => { const parts = []; return { write: async (b) => parts.push(b), close: async () => got.set(f.path, Buffer.concat(parts)), abort: async () => {} }; });
  assert.deepEqual(await sending, { fileCount: 2, bytes: content.length });
  assert.equal(result.fileCount, 2);
  assert.ok(Buffer.from(content).equals(got.get('d/big.bin')));
  assert.equal(got.get('d/e.txt').length, 0);
  s.close(); r.close();
});

test('keep-alives hold a quiet session; silence ends it as peer-left', async () => {
  const [a, b] = pair({ a: { keepAliveMs: 100, silenceMs: 400 }, b: { keepAliveMs: 100, silenceMs: 400 } });
  await new Promise((res) => setTimeout(res, 900));
  assert.equal(a.ended, null);
  assert.equal(b.ended, null);
  a.close(); b.close();
  const [c, d] = pair({ a: { keepAliveMs: 60_000, silenceMs: 300 }, b: { keepAliveMs: 60_000, silenceMs: 60_000 } });
  await assert.rejects(c.next(), (e) => e instanceof TallowError && e.kind === 'peer-left');
  c.close(); d.close();
});

test("a CLI's P2PIntent is answered at once with the web version; a peer's Leave is reported at its end of stream", async () => {
  const [cliEnd, webEnd] = pipe();
  const web = new RecordSession(webEnd, new FrameReader(webEnd), keys(), false);
  const sealer = new RecordSealer(keys().i2r);
  const opener = new RecordOpener(keys().r2i);
  const frames = new FrameReader(cliEnd);
  await cliEnd.write(await sealer.seal(Kind.P2PIntent, Uint8Array.of(1, 1)));
  const f = await frames.read();
  const answer = await opener.open(f.header, f.payload);
  assert.equal(answer.kind, Kind.P2PIntent);
  assert.deepEqual([...answer.body], [P2P_WEB_VERSION, 0]);
  await cliEnd.write(await sealer.seal(Kind.Leave, reasonBody(2, 'cancelled by the sender')));
  cliEnd.close();
  await assert.rejects(web.next(), (e) => e instanceof TallowError && e.kind === 'cancelled' && /cancelled by the sender/.test(e.message));
  web.close();
});
