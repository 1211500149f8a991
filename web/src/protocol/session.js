// One record session over a paired relay connection (docs/protocol.md "Records", "Dispatch",
// "Flow control", "Leave", "Direct path"): a read loop opens every record in order and handles
// the session kinds itself — KeepAlive, WindowUpdate, Leave, and P2PIntent, which it answers at
// once with intent 0 and the web version byte (a browser cannot go direct) — and queues the rest
// for the transfer in a bounded inbox. KeepAlive after 15 s without sending; 60 s of silence ends
// the session. Writes are serialised, so records are sealed and sent in counter order.
import { Reader, Writer } from './bytes.js';
import { TallowError, printable } from './errors.js';
import { FrameType, MAX_LENGTH } from './frames.js';
import { ReceiveWindow, SendWindow, costOf } from './flow.js';
import { CancelReason, Kind, P2P_WEB_VERSION, TRANSFER_STREAM, TRANSFER_STREAM_KINDS } from './kinds.js';
import { RecordOpener, RecordSealer } from './records.js';

export const KEEPALIVE_MS = 15_000;
export const SILENCE_MS = 60_000;
const MAX_CONTROL_QUEUED = 1024;

export function reasonBody(reason, text) { return new Writer(8 + text.length * 3).u8(reason).string(text.slice(0, 128)).done(); }

export function parseReason(body) {
  const r = new Reader(body);
  const reason = r.u8();
  const text = r.string(512);
  if (reason === null || text === null || !r.atEnd) return null;
  return { reason, text: printable(text) };
}

export class RecordSession {
  constructor(transport, reader, keys, initiator, { keepAliveMs = KEEPALIVE_MS, silenceMs = SILENCE_MS } = {}) {
    this.transport = transport;
    this.reader = reader;
    this.sealer = new RecordSealer(initiator ? keys.i2r : keys.r2i);
    this.opener = new RecordOpener(initiator ? keys.r2i : keys.i2r);
    this.sendWindow = new SendWindow();
    this.receiveWindow = new ReceiveWindow();
    this.inbox = [];
    this.controlQueued = 0;
    this.waiter = null;
    this.ended = null; // the error every later next() gets
    this.peerLeave = null;
    this.writeChain = Promise.resolve();
    this.lastSent = Date.now();
    this.lastReceived = Date.now();
    this.previousCost = 0;
    this.closed = false;
    this.timer = setInterval(() => this.tick(keepAliveMs, silenceMs), Math.min(1000, keepAliveMs / 3));
    this.loop = this.readLoop();
  }

  tick(keepAliveMs, silenceMs) {
    const now = Date.now();
    if (now - this.lastReceived >= silenceMs) {
      this.fail(new TallowError('peer-left', 'the peer went silent for 60 s: the connection is lost'));
      this.transport.close();
      return;
    }
    if (now - this.lastSent >= keepAliveMs) this.send(Kind.KeepAlive, new Uint8Array(0)).catch(() => {});
  }

  /** Seals and writes one record, in order; transfer-stream kinds wait for the peer's window. */
  send(kind, body) {
    const run = async () => {
      if (this.ended && this.closed) throw this.ended;
      if (TRANSFER_STREAM_KINDS.has(kind)) await this.sendWindow.acquire(costOf(body.length));
      const frame = await this.sealer.seal(kind, body);
      this.lastSent = Date.now();
      await this.transport.write(frame);
    };
    const p = this.writeChain.then(run);
    this.writeChain = p.catch(() => {});
    return p;
  }

  async readLoop() {
    try {
      for (;;) {
        const f = await this.reader.read(MAX_LENGTH);
        if (f === null) {
          throw this.peerLeave
            ? new TallowError(this.peerLeave.reason === CancelReason.Cancelled ? 'cancelled' : 'peer-left', `the peer left${this.peerLeave.text ? `: ${this.peerLeave.text}` : ''}`)
            : new TallowError('peer-left', 'the connection was lost');
        }
        this.lastReceived = Date.now();
        if (f.type !== FrameType.Record) throw new TallowError('protocol', 'the peer sent a frame that is not a record');
        const record = await this.opener.open(f.header, f.payload);
        if (record === null) throw new TallowError('tampered', 'a record failed authentication: the data was changed on the way (tampering?)');
        this.dispatch(record);
      }
    } catch (e) {
      this.fail(e instanceof TallowError ? e : new TallowError('peer-left', 'the connection was lost'));
    }
  }

  dispatch({ kind, body }) {
    switch (kind) {
      case Kind.KeepAlive: return;
      case Kind.WindowUpdate: {
        const r = new Reader(body);
        const stream = r.u8(); const bytes = r.u32();
        if (stream === null || bytes === null || !r.atEnd || stream < 1 || stream > 4) throw new TallowError('protocol', 'the peer broke the session protocol (window update)');
        if (stream === TRANSFER_STREAM) this.sendWindow.grant(bytes);
        return;
      }
      case Kind.Leave: {
        this.peerLeave = parseReason(body) ?? { reason: 0, text: '' };
        return;
      }
      case Kind.P2PIntent: {
        if (body.length !== 2 || body[1] > 2) throw new TallowError('protocol', 'the peer broke the session protocol (path intent)');
        // Another web page never starts a negotiation; not answering one that claims to be a page keeps two from ping-ponging.
        if (body[0] !== P2P_WEB_VERSION) this.send(Kind.P2PIntent, Uint8Array.of(P2P_WEB_VERSION, 0)).catch(() => {});
        return;
      }
      case Kind.Offer: case Kind.Accept: case Kind.Reject: case Kind.Data: case Kind.FileDone: case Kind.End:
      case Kind.Done: case Kind.Cancel: case Kind.Resend: case Kind.ReceiverCancel: case Kind.SafetyCheck: case Kind.FileBatch:
        break;
      case Kind.DataZstd:
        this.send(Kind.ReceiverCancel, reasonBody(CancelReason.Protocol, 'the web page cannot read compressed chunks')).catch(() => {});
        throw new TallowError('protocol', 'the sender compressed data, which the web page cannot read: send with --compress none, or update tallow');
      default:
        throw new TallowError('protocol', `the peer used a feature the web page does not have (record kind ${kind})`);
    }
    const cost = TRANSFER_STREAM_KINDS.has(kind) ? costOf(body.length) : 0;
    if (cost > 0 && !this.receiveWindow.arrived(cost)) throw new TallowError('protocol', 'the peer overran its flow-control window');
    if (cost === 0 && this.controlQueued >= MAX_CONTROL_QUEUED) throw new TallowError('protocol', 'the peer sent too many control records');
    const item = { kind, body, cost };
    if (this.waiter) { const w = this.waiter; this.waiter = null; this.previousCost = cost; w.resolve(item); return; }
    this.inbox.push(item);
    if (cost === 0) this.controlQueued += 1;
  }


  /** Releases the flow-control cost of the record handed out last (its consumer has acted). */
  release() {
    if (this.previousCost > 0) {
      const g = this.receiveWindow.took(this.previousCost, this.inbox.length === 0);
      this.previousCost = 0;
      if (g > 0) this.send(Kind.WindowUpdate, new Writer(5).u8(TRANSFER_STREAM).u32(g).done()).catch(() => {});
    }
  }

  /** Next queued record for the transfer: { kind, body }; rejects with the session's end. */
  next() {
    this.release();
    if (this.inbox.length > 0) {
      const item = this.inbox.shift();
      if (item.cost === 0) this.controlQueued -= 1;
      this.previousCost = item.cost;
      return Promise.resolve(item);
    }
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  fail(error) {
    if (this.ended) return;
    this.ended = error;
    this.sendWindow.fail(error);
    clearInterval(this.timer);
    if (this.waiter) { const w = this.waiter; this.waiter = null; w.reject(error); }
  }

  /** Sends Leave{reason, text} (best effort, at most 1.5 s) and closes. */
  async leave(reason, text) {
    if (!this.closed && !this.ended) {
      const sent = this.send(Kind.Leave, reasonBody(reason, text)).catch(() => {});
      await Promise.race([sent, new Promise((r) => setTimeout(r, 1500))]);
    }
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.fail(new TallowError('cancelled', 'the session was closed'));
    this.sealer.dispose();
    this.opener.dispose();
    this.transport.close();
  }
}
