// Record layer (docs/protocol.md "Records", src/Tallow.Crypto/RecordCipherState.cs): a Record frame's
// payload is AES-256-GCM(key, nonce = 0^4 ‖ u64 BE counter, AAD = the 5-byte frame header) over
// `u8 kind | body`, tag appended. The counter starts at 0 and advances per record; every 2^31 records
// the key is ratcheted with HKDF-Expand(key, "tallow v1 rekey", 32) (the counter is not reset).
// AES-GCM runs only through WebCrypto (crypto.subtle). Callers seal and open strictly in order.
import { FrameType, HEADER_SIZE } from './frames.js';
import { rekey } from './keys.js';

export const TAG_SIZE = 16;
export const REKEY_INTERVAL = 2 ** 31;

class CipherState {
  constructor(key, rekeyInterval) {
    this.raw = Uint8Array.from(key);
    this.rekeyInterval = rekeyInterval;
    this.counter = 0;
    this.keyPromise = importKey(this.raw);
  }

  nonce() {
    const n = new Uint8Array(12);
    const v = new DataView(n.buffer);
    v.setUint32(4, Math.floor(this.counter / 2 ** 32));
    v.setUint32(8, this.counter >>> 0);
    return n;
  }

  advance() {
    this.counter += 1;
    if (this.counter % this.rekeyInterval === 0) {
      const next = rekey(this.raw);
      this.raw.fill(0);
      this.raw = next;
      this.keyPromise = importKey(this.raw);
    }
  }

  dispose() { this.raw.fill(0); this.keyPromise = null; }
}

const importKey = (raw) => crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);

export function recordHeader(plaintextLength) {
  const h = new Uint8Array(HEADER_SIZE);
  new DataView(h.buffer).setUint32(0, 1 + plaintextLength + TAG_SIZE);
  h[4] = FrameType.Record;
  return h;
}

export class RecordSealer {
  constructor(key, rekeyInterval = REKEY_INTERVAL) { this.state = new CipherState(key, rekeyInterval); }

  get recordsSealed() { return this.state.counter; }

  /** Seals `kind | body` into a whole Record frame (header ‖ ciphertext ‖ tag). */
  async seal(kind, body) {
    const plain = new Uint8Array(1 + body.length);
    plain[0] = kind;
    plain.set(body, 1);
    const header = recordHeader(plain.length);
    const iv = this.state.nonce();
    const key = this.state.keyPromise;
    this.state.advance();
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: header, tagLength: 128 }, await key, plain));
    const frame = new Uint8Array(HEADER_SIZE + ct.length);
    frame.set(header);
    frame.set(ct, HEADER_SIZE);
    return frame;
  }

  dispose() { this.state.dispose(); }
}

export class RecordOpener {
  constructor(key, rekeyInterval = REKEY_INTERVAL) { this.state = new CipherState(key, rekeyInterval); }

  /** Opens one Record frame's payload: { kind, body } or null when it fails authentication. */
  async open(header, payload) {
    if (payload.length < 1 + TAG_SIZE) return null;
    const iv = this.state.nonce();
    let plain;
    try {
      plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: header, tagLength: 128 }, await this.state.keyPromise, payload));
    } catch {
      return null;
    }
    this.state.advance();
    return { kind: plain[0], body: plain.subarray(1) };
  }

  dispose() { this.state.dispose(); }
}
