// CPace (draft-irtf-cfrg-cpace, CPACE-RISTR255-SHA512, initiator-responder), byte for byte as
// src/Tallow.Crypto/CPaceSession.cs + CPaceEncoding.cs:
//   g   = ristretto255_from_hash(SHA-512(lv(DSI) ‖ lv(PRS) ‖ leb(zpad) ‖ 0^zpad ‖ lv(CI) ‖ lv(sid)))
//   Y   = y·g;  K = y·Y_peer (reject non-canonical, identity, all-zero)
//   ISK = SHA-512(lv(DSI ‖ "_ISK") ‖ lv(sid) ‖ lv(K) ‖ lv(Ya) ‖ lv(ADa) ‖ lv(Yb) ‖ lv(ADb))
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, isAllZero, utf8 } from './bytes.js';

const DSI = utf8('CPaceRistretto255');
const DSI_ISK = utf8('CPaceRistretto255_ISK');
const HASH_BLOCK = 128;
const Point = ristretto255.Point;
const ORDER = Point.Fn.ORDER;

export function leb128(n) {
  const out = [];
  let v = n >>> 0;
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
  out.push(v);
  return Uint8Array.from(out);
}

const lv = (data) => concat(leb128(data.length), data);

export function generatorString(prs, ci, sid) {
  const zpad = Math.max(0, HASH_BLOCK - 1 - lv(prs).length - lv(DSI).length);
  return concat(lv(DSI), lv(prs), leb128(zpad), new Uint8Array(zpad), lv(ci), lv(sid));
}

/** The 32-byte ristretto255 generator for (PRS, CI, sid). */
export function calculateGenerator(prs, ci, sid) {
  return ristretto255_hasher.deriveToCurve(sha512(generatorString(prs, ci, sid))).toBytes();
}

function scalarFromBytes(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v % ORDER;
}

export function randomScalar() {
  for (;;) {
    const s = crypto.getRandomValues(new Uint8Array(64));
    const v = scalarFromBytes(s);
    s.fill(0);
    if (v !== 0n) return v;
  }
}

/** One CPace party. scalarBytes (32, little-endian, < L) only for known-answer tests. */
export class CPace {
  constructor(prs, ci, sid, scalarBytes) {
    this.sid = sid;
    this.y = scalarBytes ? scalarFromBytes(scalarBytes) : randomScalar();
    if (this.y === 0n) throw new RangeError('zero scalar');
    const g = Point.fromBytes(calculateGenerator(prs, ci, sid));
    this.share = g.multiply(this.y).toBytes();
  }

  /** The 64-byte ISK, or null when the peer's share is invalid (then: wrong code or tampering). */
  deriveIsk(peerShare, isInitiator, ownAd = new Uint8Array(0), peerAd = new Uint8Array(0)) {
    if (peerShare.length !== 32 || isAllZero(peerShare)) return null;
    let peer;
    try { peer = Point.fromBytes(peerShare); } catch { return null; }
    if (peer.equals(Point.ZERO)) return null;
    const k = peer.multiply(this.y).toBytes();
    if (isAllZero(k)) return null;
    const parts = isInitiator
      ? [lv(DSI_ISK), lv(this.sid), lv(k), lv(this.share), lv(ownAd), lv(peerShare), lv(peerAd)]
      : [lv(DSI_ISK), lv(this.sid), lv(k), lv(peerShare), lv(peerAd), lv(this.share), lv(ownAd)];
    const isk = sha512(concat(...parts));
    k.fill(0);
    return isk;
  }

  dispose() { this.y = 0n; }
}
