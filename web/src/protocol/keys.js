// Session key schedule (src/Tallow.Crypto/SessionKeys.cs, docs/protocol.md "Handshake"):
//   secret = HKDF-SHA256(salt = transcript, IKM = ISK ‖ ML-KEM secret ‖ X25519 secret, info = "tallow v1 session")
//   each key = HKDF-Expand(secret, label, 32); confirm_X = HMAC-SHA256(confirm key X, transcript).
import { hkdf, expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equalConstantTime, utf8 } from './bytes.js';

export const LABELS = Object.freeze({
  i2r: 'tallow v1 key i2r', r2i: 'tallow v1 key r2i', confirmI: 'tallow v1 confirm i', confirmR: 'tallow v1 confirm r',
  direct: 'tallow v1 direct', sas: 'tallow v1 sas', resume: 'tallow v2 resume',
});

export function deriveSessionKeys(transcript, isk, kemSecret, dhSecret) {
  const ikm = concat(isk, kemSecret, dhSecret);
  const secret = hkdf(sha256, ikm, transcript, utf8('tallow v1 session'), 32);
  ikm.fill(0);
  const keys = {};
  for (const [name, label] of Object.entries(LABELS)) keys[name] = expand(sha256, secret, utf8(label), 32);
  secret.fill(0);
  return keys;
}

export const confirmation = (confirmKey, transcript) => hmac(sha256, confirmKey, transcript);
export const verifyConfirmation = (confirmKey, transcript, mac) => mac.length === 32 && equalConstantTime(confirmation(confirmKey, transcript), mac);

export const sasCommitment = (sasNonce) => sha256(concat(utf8('tallow v2 sas commit'), sasNonce));

/** The shown safety number's key: HMAC-SHA256(sas key, "tallow v2 sas reveal" ‖ sas_nonce). */
export const bindSasNonce = (sasKey, sasNonce) => hmac(sha256, sasKey, concat(utf8('tallow v2 sas reveal'), sasNonce));

/** "123 456": 6 digits from the first 8 bytes of the bound SAS key (mod 10^6), as SafetyNumber.Digits. */
export function safetyDigits(boundSas) {
  const v = new DataView(boundSas.buffer, boundSas.byteOffset, 8).getBigUint64(0);
  const t = String(v % 1_000_000n).padStart(6, '0');
  return `${t.slice(0, 3)} ${t.slice(3)}`;
}

/** HKDF-Expand(key, "tallow v1 rekey", 32): the record key ratchet. */
export const rekey = (key) => expand(sha256, key, utf8('tallow v1 rekey'), 32);

export function wipe(keys) { for (const k of Object.values(keys)) k.fill(0); }
