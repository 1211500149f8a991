// The peer handshake (docs/protocol.md "Handshake", src/Tallow.Protocol/Handshake/PeerHandshake.cs):
//   I→R Init{u16 2, Ya, ML-KEM-1024 ek, X25519 pk_I, nonce_I(16), sas_commit}
//   R→I Resp{Yb, ML-KEM ct, X25519 pk_R, nonce_R(16), confirm_R}
//   I→R Confirm{confirm_I, sas_nonce}
// CPace: PRS = the normalised code, CI = "tallow v1" ‖ u16 2 ‖ u32 nameplate, sid = nonce_I.
// transcript = SHA-256("tallow v1 transcript" ‖ CI ‖ Init ‖ Resp without confirm_R).
// Any verification failure sends Abort{3} so both sides say "wrong code".
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Writer, concat, equalConstantTime, isAllZero, utf8 } from './bytes.js';
import { CPace } from './cpace.js';
import { TallowError } from './errors.js';
import { FrameType, encodeFrame } from './frames.js';
import { confirmation, deriveSessionKeys, sasCommitment, verifyConfirmation, wipe } from './keys.js';

export const VERSION = 2;
const KEM_KEY = 1568, KEM_CT = 1568;
export const INIT_SIZE = 2 + 32 + KEM_KEY + 32 + 16 + 32;
export const RESPONSE_SIZE = 32 + KEM_CT + 32 + 16 + 32;
const RESPONSE_CONFIRM_OFFSET = RESPONSE_SIZE - 32;
const ABORT = { protocol: 1, version: 2, auth: 3 };

export const channelId = (nameplate) => new Writer(15).bytes(utf8('tallow v1')).u16(VERSION).u32(nameplate).done();

export const transcriptHash = (ci, init, respUnconfirmed) => sha256(concat(utf8('tallow v1 transcript'), ci, init, respUnconfirmed));

const wrongCode = () => new TallowError('wrong-code', 'wrong code phrase (or tampering): check the code and start again');

async function abort(transport, reason) {
  try { await transport.write(encodeFrame(FrameType.HandshakeAbort, Uint8Array.of(reason))); } catch { /* the peer is gone already */ }
}

async function readHandshakeFrame(reader, expected) {
  const f = await reader.read(RESPONSE_SIZE + 16);
  if (f === null) {
    if (expected === FrameType.HandshakeConfirm) throw wrongCode();
    throw new TallowError('peer-left', 'the peer closed the connection during the secure handshake');
  }
  if (f.type === FrameType.HandshakeAbort) {
    if (f.payload.length === 1 && f.payload[0] === ABORT.version) throw new TallowError('version', 'the peer uses an incompatible tallow protocol version');
    throw wrongCode();
  }
  if (f.type !== expected) throw new TallowError('protocol', 'the peer sent a malformed handshake');
  return f.payload;
}

function x25519Agree(secretKey, publicKey) {
  try {
    const s = x25519.getSharedSecret(secretKey, publicKey);
    return isAllZero(s) ? null : s;
  } catch { return null; }
}

/** Runs the handshake; returns the session keys { i2r, r2i, ... } (32-byte Uint8Arrays). */
export async function runHandshake(transport, reader, { initiator, code, nameplate }) {
  const password = utf8(code);
  const ci = channelId(nameplate);
  try {
    return initiator ? await runInitiator(transport, reader, password, ci) : await runResponder(transport, reader, password, ci);
  } finally {
    password.fill(0);
  }
}

async function runInitiator(transport, reader, password, ci) {
  const nonce = crypto.getRandomValues(new Uint8Array(16));
  const cpace = new CPace(password, ci, nonce);
  const kem = ml_kem1024.keygen();
  const dh = x25519.keygen();
  const sasNonce = crypto.getRandomValues(new Uint8Array(32));
  const init = new Writer(INIT_SIZE).u16(VERSION).bytes(cpace.share).bytes(kem.publicKey).bytes(dh.publicKey).bytes(nonce).bytes(sasCommitment(sasNonce)).done();
  await transport.write(encodeFrame(FrameType.HandshakeInit, init));
  const resp = await readHandshakeFrame(reader, FrameType.HandshakeResponse);
  if (resp.length !== RESPONSE_SIZE) { await abort(transport, ABORT.protocol); throw new TallowError('protocol', 'the peer sent a malformed handshake'); }
  const isk = cpace.deriveIsk(resp.subarray(0, 32), true);
  let kemSecret = null;
  try { kemSecret = ml_kem1024.decapsulate(resp.subarray(32, 32 + KEM_CT), kem.secretKey); } catch { kemSecret = null; }
  const dhSecret = x25519Agree(dh.secretKey, resp.subarray(32 + KEM_CT, 64 + KEM_CT));
  cpace.dispose(); kem.secretKey.fill(0); dh.secretKey.fill(0);
  const transcript = transcriptHash(ci, init, resp.subarray(0, RESPONSE_CONFIRM_OFFSET));
  const ok = isk !== null && kemSecret !== null && dhSecret !== null;
  const keys = deriveSessionKeys(transcript, isk ?? new Uint8Array(64), kemSecret ?? new Uint8Array(32), dhSecret ?? new Uint8Array(32));
  [isk, kemSecret, dhSecret].forEach((b) => b?.fill(0));
  if (!ok || !verifyConfirmation(keys.confirmR, transcript, resp.subarray(RESPONSE_CONFIRM_OFFSET))) {
    wipe(keys);
    await abort(transport, ABORT.auth);
    throw wrongCode();
  }
  await transport.write(encodeFrame(FrameType.HandshakeConfirm, concat(confirmation(keys.confirmI, transcript), sasNonce)));
  return keys;
}

async function runResponder(transport, reader, password, ci) {
  const init = (await readHandshakeFrame(reader, FrameType.HandshakeInit)).slice();
  if (init.length !== INIT_SIZE) {
    const v1 = init.length === INIT_SIZE - 32 && init[0] === 0 && init[1] === 1;
    await abort(transport, v1 ? ABORT.version : ABORT.protocol);
    throw v1 ? new TallowError('version', 'the peer speaks protocol version 1') : new TallowError('protocol', 'the peer sent a malformed handshake');
  }
  const version = (init[0] << 8) | init[1];
  if (version !== VERSION) {
    await abort(transport, ABORT.version);
    throw new TallowError('version', `the peer speaks protocol version ${version}, this page speaks ${VERSION}`);
  }
  const nonceI = init.subarray(2 + 32 + KEM_KEY + 32, 2 + 32 + KEM_KEY + 32 + 16);
  const cpace = new CPace(password, ci, nonceI);
  const dh = x25519.keygen();
  const isk = cpace.deriveIsk(init.subarray(2, 34), false);
  const dhSecret = x25519Agree(dh.secretKey, init.subarray(2 + 32 + KEM_KEY, 2 + 32 + KEM_KEY + 32));
  let enc = null;
  try { enc = ml_kem1024.encapsulate(init.subarray(34, 34 + KEM_KEY)); } catch { enc = null; }
  dh.secretKey.fill(0);
  if (isk === null || dhSecret === null || enc === null) {
    cpace.dispose();
    await abort(transport, ABORT.auth);
    throw wrongCode();
  }
  const unconfirmed = new Writer(RESPONSE_SIZE).bytes(cpace.share).bytes(enc.cipherText).bytes(dh.publicKey).bytes(crypto.getRandomValues(new Uint8Array(16))).done();
  cpace.dispose();
  const transcript = transcriptHash(ci, init, unconfirmed);
  const keys = deriveSessionKeys(transcript, isk, enc.sharedSecret, dhSecret);
  isk.fill(0); enc.sharedSecret.fill(0); dhSecret.fill(0);
  await transport.write(encodeFrame(FrameType.HandshakeResponse, concat(unconfirmed, confirmation(keys.confirmR, transcript))));
  const confirm = await readHandshakeFrame(reader, FrameType.HandshakeConfirm);
  const ok = confirm.length === 64
    & verifyConfirmation(keys.confirmI, transcript, confirm.subarray(0, 32))
    & (confirm.length === 64 && equalConstantTime(sasCommitment(confirm.subarray(32)), init.subarray(INIT_SIZE - 32)));
  if (!ok) {
    wipe(keys);
    await abort(transport, ABORT.auth);
    throw wrongCode();
  }
  return keys;
}
