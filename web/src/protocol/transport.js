// Transports: a byte stream with read() (next chunk, or null at EOF), write(bytes) (resolves when
// the bytes may be followed by more: back-pressure) and close(). The browser uses WebSocket (every
// binary message is raw stream bytes, message boundaries mean nothing; close = EOF); node tests
// use the same interface over node:net (test/tcp-transport.mjs).
import { TallowError } from './errors.js';

/** A queue of received chunks with a single reader. */
export class ChunkQueue {
  constructor() { this.items = []; this.waiter = null; this.ended = false; this.error = null; this.bytes = 0; }
  push(chunk) {
    if (this.ended) return;
    if (this.waiter) { const w = this.waiter; this.waiter = null; w.resolve(chunk); return; }
    this.items.push(chunk); this.bytes += chunk.length;
  }
  end(error = null) {
    if (this.ended) return;
    this.ended = true; this.error = error;
    if (this.waiter) { const w = this.waiter; this.waiter = null; error ? w.reject(error) : w.resolve(null); }
  }
  read() {
    if (this.items.length > 0) { const c = this.items.shift(); this.bytes -= c.length; return Promise.resolve(c); }
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(null);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }
}

const HIGH_WATER = 4 * 1024 * 1024;
// The relay refuses WebSocket messages over 1 MiB (close 1009); boundaries mean nothing, so a
// record frame (up to a chunk + 22 bytes) goes out as several messages of at most this size.
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Opens a WebSocket transport to wsUrl ('wss://host/ws'). */
export function openWebSocket(wsUrl, { signal } = {}) {
  return new Promise((resolve, reject) => {
    let ws;
    try { ws = new WebSocket(wsUrl); } catch (e) { reject(new TallowError('relay', 'cannot open a connection to the relay')); return; }
    ws.binaryType = 'arraybuffer';
    const queue = new ChunkQueue();
    let opened = false;
    const onAbort = () => { try { ws.close(); } catch { /* closing anyway */ } };
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.onopen = () => {
      opened = true;
      resolve({
        read: () => queue.read(),
        async write(bytes) {
          if (ws.readyState !== WebSocket.OPEN) throw new TallowError('peer-left', 'the connection to the relay is closed');
          for (let at = 0; at < bytes.length; at += MAX_MESSAGE_BYTES) ws.send(bytes.subarray(at, at + MAX_MESSAGE_BYTES));
          while (ws.bufferedAmount > HIGH_WATER && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 10));
        },
        close() { signal?.removeEventListener('abort', onAbort); try { ws.close(); } catch { /* already closed */ } },
      });
    };
    ws.onmessage = (ev) => { if (ev.data instanceof ArrayBuffer) queue.push(new Uint8Array(ev.data)); };
    ws.onerror = () => { if (!opened) reject(new TallowError('relay', 'cannot connect to the relay')); };
    ws.onclose = () => { queue.end(); if (!opened) reject(new TallowError('relay', 'the relay closed the connection')); };
  });
}
