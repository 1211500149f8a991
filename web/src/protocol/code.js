// Code phrases (src/Tallow.Crypto/CodePhrase.cs): "<nameplate>-<w1>-…-<wN>", words from the CLI's
// list (words.js), drawn uniformly with crypto.getRandomValues (3 words by default, as the CLI).
// normaliseCode: trim; runs of '-', '_' and whitespace become one '-'; lower case.
// A code without a 1–6 digit nameplate is mapped to one by Argon2id (t 3, 64 MiB, fixed salt), as
// NameplateMapper does; only the nameplate ever reaches the relay.
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.js';
import { WORDS } from './words.js';

export { WORDS };
export const DEFAULT_WORD_COUNT = 3;
const SEPARATOR = /[-_\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** The normalised code, or null when nothing is left. */
export function normaliseCode(text) {
  if (typeof text !== 'string') return null;
  let out = '';
  let pending = false;
  for (const c of text.trim()) {
    if (SEPARATOR.test(c)) { pending = out.length > 0; continue; }
    if (pending) { out += '-'; pending = false; }
    out += c.toLowerCase();
  }
  return out.length === 0 ? null : out;
}

/** The nameplate written at the start of a normalised code, or null (a custom code). */
export function claimedNameplate(normalised) {
  const m = /^([1-9][0-9]{0,5})-(.+)$/.exec(normalised);
  return m ? Number(m[1]) : null;
}

export const NAMEPLATE_SALT = sha256(utf8('tallow v1 nameplate')).slice(0, 16);

/** Nameplate of a normalised code: the written one, or Argon2id-mapped into 1 000 000 … 9 999 999. */
export async function nameplateOf(normalised) {
  const claimed = claimedNameplate(normalised);
  if (claimed !== null) return claimed;
  const out = await argon2idAsync(utf8(normalised), NAMEPLATE_SALT, { t: 3, m: 65536, p: 1, dkLen: 16 });
  const v = new DataView(out.buffer, out.byteOffset, 16).getBigUint64(0);
  return 1_000_000 + Number(v % 9_000_000n);
}

function randomIndex(n) {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const b = new Uint32Array(1);
  for (;;) { crypto.getRandomValues(b); if (b[0] < limit) return b[0] % n; }
}

export function generateCode(nameplate, wordCount = DEFAULT_WORD_COUNT) {
  const parts = [String(nameplate)];
  for (let i = 0; i < wordCount; i++) parts.push(WORDS[randomIndex(WORDS.length)]);
  return parts.join('-');
}

/** Words starting with prefix (lower case), at most `max`. */
export function completeWord(prefix, max = 10) {
  const p = String(prefix ?? '').toLowerCase();
  if (p.length === 0) return [];
  const out = [];
  for (const w of WORDS) { if (w.startsWith(p)) { out.push(w); if (out.length >= max) break; } }
  return out;
}
