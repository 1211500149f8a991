// BLAKE3 (hash mode, 32-byte digest) for verifying files: the same function as @noble/hashes'
// blake3, which it is tested against (web/test/blake3.test.mjs: the KAT vectors shared with the C#
// and random inputs of every size around chunk and tree edges), written for speed because it
// bounds the page's transfer rate (noble's ran at about 26 MB/s in node here): the compression
// function keeps its 16 state and 16 message words in locals with the seven rounds unrolled
// (message schedule applied at write time), whole 1 KiB chunks are hashed straight from the
// input's words, and nothing is allocated per block. Structure as the BLAKE3 paper's reference
// implementation: a chunk state, and a stack of chaining values merged as chunks complete.

const IV0 = 0x6a09e667, IV1 = 0xbb67ae85, IV2 = 0x3c6ef372, IV3 = 0xa54ff53a;
const IV4 = 0x510e527f, IV5 = 0x9b05688c, IV6 = 0x1f83d9ab, IV7 = 0x5be0cd19;
const CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8;
const BLOCK = 64, CHUNK = 1024;
const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** out[o..o+8] = the chaining value of compressing block m[mo..mo+16] into cv[co..co+8]. */
function compress(cv, co, m, mo, counterLo, counterHi, blockLen, flags, out, o) {
  let s0 = cv[co], s1 = cv[co + 1], s2 = cv[co + 2], s3 = cv[co + 3];
  let s4 = cv[co + 4], s5 = cv[co + 5], s6 = cv[co + 6], s7 = cv[co + 7];
  let s8 = IV0, s9 = IV1, s10 = IV2, s11 = IV3;
  let s12 = counterLo | 0, s13 = counterHi | 0, s14 = blockLen | 0, s15 = flags | 0;
  const m0 = m[mo], m1 = m[mo + 1], m2 = m[mo + 2], m3 = m[mo + 3];
  const m4 = m[mo + 4], m5 = m[mo + 5], m6 = m[mo + 6], m7 = m[mo + 7];
  const m8 = m[mo + 8], m9 = m[mo + 9], m10 = m[mo + 10], m11 = m[mo + 11];
  const m12 = m[mo + 12], m13 = m[mo + 13], m14 = m[mo + 14], m15 = m[mo + 15];
  // round 1
  s0 = (s0 + s4 + m0) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m1) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m2) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m3) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m4) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m5) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m6) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m7) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m8) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m9) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m10) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m11) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m12) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m13) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m14) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m15) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);
  // round 2
  s0 = (s0 + s4 + m2) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m6) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m3) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m10) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m7) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m0) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m4) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m13) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m1) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m11) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m12) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m5) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m9) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m14) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m15) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m8) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);
  // round 3
  s0 = (s0 + s4 + m3) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m4) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m10) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m12) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m13) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m2) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m7) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m14) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m6) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m5) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m9) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m0) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m11) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m15) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m8) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m1) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);
  // round 4
  s0 = (s0 + s4 + m10) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m7) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m12) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m9) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m14) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m3) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m13) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m15) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m4) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m0) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m11) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m2) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m5) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m8) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m1) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m6) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);
  // round 5
  s0 = (s0 + s4 + m12) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m13) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m9) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m11) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m15) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m10) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m14) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m8) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m7) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m2) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m5) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m3) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m0) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m1) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m6) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m4) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);
  // round 6
  s0 = (s0 + s4 + m9) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m14) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m11) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m5) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m8) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m12) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m15) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m1) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m13) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m3) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m0) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m10) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m2) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m6) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m4) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m7) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);
  // round 7
  s0 = (s0 + s4 + m11) | 0; s12 ^= s0; s12 = (s12 >>> 16) | (s12 << 16); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 12) | (s4 << 20);
  s0 = (s0 + s4 + m15) | 0; s12 ^= s0; s12 = (s12 >>> 8) | (s12 << 24); s8 = (s8 + s12) | 0; s4 ^= s8; s4 = (s4 >>> 7) | (s4 << 25);
  s1 = (s1 + s5 + m5) | 0; s13 ^= s1; s13 = (s13 >>> 16) | (s13 << 16); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 12) | (s5 << 20);
  s1 = (s1 + s5 + m0) | 0; s13 ^= s1; s13 = (s13 >>> 8) | (s13 << 24); s9 = (s9 + s13) | 0; s5 ^= s9; s5 = (s5 >>> 7) | (s5 << 25);
  s2 = (s2 + s6 + m1) | 0; s14 ^= s2; s14 = (s14 >>> 16) | (s14 << 16); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 12) | (s6 << 20);
  s2 = (s2 + s6 + m9) | 0; s14 ^= s2; s14 = (s14 >>> 8) | (s14 << 24); s10 = (s10 + s14) | 0; s6 ^= s10; s6 = (s6 >>> 7) | (s6 << 25);
  s3 = (s3 + s7 + m8) | 0; s15 ^= s3; s15 = (s15 >>> 16) | (s15 << 16); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 12) | (s7 << 20);
  s3 = (s3 + s7 + m6) | 0; s15 ^= s3; s15 = (s15 >>> 8) | (s15 << 24); s11 = (s11 + s15) | 0; s7 ^= s11; s7 = (s7 >>> 7) | (s7 << 25);
  s0 = (s0 + s5 + m14) | 0; s15 ^= s0; s15 = (s15 >>> 16) | (s15 << 16); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 12) | (s5 << 20);
  s0 = (s0 + s5 + m10) | 0; s15 ^= s0; s15 = (s15 >>> 8) | (s15 << 24); s10 = (s10 + s15) | 0; s5 ^= s10; s5 = (s5 >>> 7) | (s5 << 25);
  s1 = (s1 + s6 + m2) | 0; s12 ^= s1; s12 = (s12 >>> 16) | (s12 << 16); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 12) | (s6 << 20);
  s1 = (s1 + s6 + m12) | 0; s12 ^= s1; s12 = (s12 >>> 8) | (s12 << 24); s11 = (s11 + s12) | 0; s6 ^= s11; s6 = (s6 >>> 7) | (s6 << 25);
  s2 = (s2 + s7 + m3) | 0; s13 ^= s2; s13 = (s13 >>> 16) | (s13 << 16); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 12) | (s7 << 20);
  s2 = (s2 + s7 + m4) | 0; s13 ^= s2; s13 = (s13 >>> 8) | (s13 << 24); s8 = (s8 + s13) | 0; s7 ^= s8; s7 = (s7 >>> 7) | (s7 << 25);
  s3 = (s3 + s4 + m7) | 0; s14 ^= s3; s14 = (s14 >>> 16) | (s14 << 16); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 12) | (s4 << 20);
  s3 = (s3 + s4 + m13) | 0; s14 ^= s3; s14 = (s14 >>> 8) | (s14 << 24); s9 = (s9 + s14) | 0; s4 ^= s9; s4 = (s4 >>> 7) | (s4 << 25);  out[o] = s0 ^ s8; out[o + 1] = s1 ^ s9; out[o + 2] = s2 ^ s10; out[o + 3] = s3 ^ s11;
  out[o + 4] = s4 ^ s12; out[o + 5] = s5 ^ s13; out[o + 6] = s6 ^ s14; out[o + 7] = s7 ^ s15;
}

const IV = Uint32Array.of(IV0, IV1, IV2, IV3, IV4, IV5, IV6, IV7);

/** Little-endian 32-bit words of bytes[offset..offset+4n] into words[0..n]. */
function readWords(bytes, offset, words, n) {
  for (let i = 0; i < n; i++, offset += 4) {
    words[i] = bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24);
  }
}

export class Blake3 {
  #stack = new Uint32Array(54 * 8); // chaining values of completed subtrees (2^54 chunks: enough)
  #stackLength = 0;
  #cv = new Uint32Array(8); // the current chunk's chaining value
  #chunks = 0; // chunks completed before the current one
  #blocks = 0; // blocks compressed in the current chunk
  #block = new Uint8Array(BLOCK); // the current chunk's last, not yet compressed block
  #blockLength = 0;
  #words = new Uint32Array(CHUNK / 4); // scratch: a block's or a whole chunk's words
  #pair = new Uint32Array(16);
  #done = false;

  constructor() {
    this.#cv.set(IV);
  }

  /** Adds bytes (a Uint8Array); returns this. */
  update(data) {
    if (this.#done) {
      throw new Error('blake3: update after digest');
    }

    let pos = 0;
    const end = data.length;
    while (pos < end) {
      if (this.#chunkLength() === CHUNK) {
        this.#finishChunk(); // more input follows, so this chunk is not the root
      }

      if (this.#chunkLength() === 0 && end - pos > CHUNK) {
        this.#wholeChunk(data, pos); // the fast path: a chunk that is certainly not the last
        pos += CHUNK;
        continue;
      }

      if (this.#blockLength === BLOCK) {
        readWords(this.#block, 0, this.#words, 16);
        compress(this.#cv, 0, this.#words, 0, this.#chunks, this.#chunks / 0x100000000, BLOCK, this.#blocks === 0 ? CHUNK_START : 0, this.#cv, 0);
        this.#blocks++;
        this.#blockLength = 0;
      }

      const take = Math.min(BLOCK - this.#blockLength, end - pos);
      this.#block.set(data.subarray(pos, pos + take), this.#blockLength);
      this.#blockLength += take;
      pos += take;
    }

    return this;
  }

  /** The 32-byte digest; the hasher cannot be used afterwards. */
  digest() {
    this.#done = true;
    this.#block.fill(0, this.#blockLength);
    const m = new Uint32Array(16);
    readWords(this.#block, 0, m, 16);
    let cv = this.#cv;
    let counter = this.#chunks;
    let blockLength = this.#blockLength;
    let flags = (this.#blocks === 0 ? CHUNK_START : 0) | CHUNK_END;
    for (let i = this.#stackLength - 1; i >= 0; i--) {
      const right = new Uint32Array(8);
      compress(cv, 0, m, 0, counter, counter / 0x100000000, blockLength, flags, right, 0);
      m.set(this.#stack.subarray(i * 8, i * 8 + 8), 0);
      m.set(right, 8);
      cv = IV;
      counter = 0;
      blockLength = BLOCK;
      flags = PARENT;
    }

    const out = new Uint32Array(8);
    compress(cv, 0, m, 0, 0, 0, blockLength, flags | ROOT, out, 0);
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      bytes[i * 4] = out[i];
      bytes[i * 4 + 1] = out[i] >>> 8;
      bytes[i * 4 + 2] = out[i] >>> 16;
      bytes[i * 4 + 3] = out[i] >>> 24;
    }

    return bytes;
  }

  #chunkLength() {
    return this.#blocks * BLOCK + this.#blockLength;
  }

  /** A whole chunk from data[pos..pos+1024], known not to be the last one. */
  #wholeChunk(data, pos) {
    let words;
    if (littleEndian && (data.byteOffset + pos) % 4 === 0) {
      words = new Uint32Array(data.buffer, data.byteOffset + pos, CHUNK / 4);
    } else {
      words = this.#words;
      readWords(data, pos, words, CHUNK / 4);
    }

    const cv = this.#cv;
    const lo = this.#chunks, hi = this.#chunks / 0x100000000;
    compress(cv, 0, words, 0, lo, hi, BLOCK, CHUNK_START, cv, 0);
    for (let b = 1; b < 15; b++) {
      compress(cv, 0, words, b * 16, lo, hi, BLOCK, 0, cv, 0);
    }

    compress(cv, 0, words, 15 * 16, lo, hi, BLOCK, CHUNK_END, cv, 0);
    this.#pushChunk();
  }

  /** The current chunk is full (its last block buffered) and more input follows. */
  #finishChunk() {
    readWords(this.#block, 0, this.#words, 16);
    compress(this.#cv, 0, this.#words, 0, this.#chunks, this.#chunks / 0x100000000, BLOCK, CHUNK_END, this.#cv, 0);
    this.#pushChunk();
  }

  /** Pushes the finished chunk's chaining value, merging completed subtrees, and starts the next chunk. */
  #pushChunk() {
    this.#chunks++;
    const stack = this.#stack, pair = this.#pair;
    let top = this.#stackLength;
    stack.set(this.#cv, top * 8);
    top++;
    for (let total = this.#chunks; total % 2 === 0; total /= 2) {
      pair.set(stack.subarray((top - 2) * 8, top * 8));
      compress(IV, 0, pair, 0, 0, 0, BLOCK, PARENT, stack, (top - 2) * 8);
      top--;
    }

    this.#stackLength = top;
    this.#cv.set(IV);
    this.#blocks = 0;
    this.#blockLength = 0;
  }
}

/** BLAKE3 of bytes, or an incremental hasher with create() (the shape of @noble/hashes' blake3). */
export function blake3(bytes) {
  return new Blake3().update(bytes).digest();
}

blake3.create = () => new Blake3();
