// The page's own BLAKE3 (src/protocol/blake3.js) against @noble/hashes' blake3: every size around
// block (64), chunk (1 KiB) and tree edges, fed whole and in random pieces (unaligned views too),
// and a 64 MiB input's digest, printing both speeds (the reason it exists). The C# vectors are checked
// in vectors.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blake3 as noble } from '@noble/hashes/blake3.js';
import { blake3 } from '../src/protocol/blake3.js';

const hex = (b) => Buffer.from(b).toString('hex');

function pattern(size, seed) {
  const data = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data[i] = x & 0xff;
  }
  return data;
}

const sizes = [0, 1, 63, 64, 65, 127, 128, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 3073, 4096, 4097,
  8191, 8192, 8193, 16384, 31 * 1024 + 7, 65536, 65537, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 5];

test('one-shot digests equal noble for sizes around block, chunk and tree edges', () => {
  for (const size of sizes) {
    const data = pattern(size, size + 1);
    assert.equal(hex(blake3(data)), hex(noble(data)), `size ${size}`);
  }
});

test('incremental updates in random pieces (unaligned views included) give the same digest', () => {
  for (const size of sizes) {
    const backing = pattern(size + 3, size + 7);
    const data = backing.subarray(3); // byteOffset 3: the word-aligned fast path must not be taken blindly
    const hasher = blake3.create();
    let seed = size * 31 + 1;
    for (let pos = 0; pos < size;) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const take = Math.min(size - pos, [1, 63, 64, 65, 1024, 1025, 5000][seed % 7]);
      hasher.update(data.subarray(pos, pos + take));
      pos += take;
    }
    assert.equal(hex(hasher.digest()), hex(noble(data)), `size ${size}`);
  }
});

test('an update after digest is refused', () => {
  const hasher = blake3.create();
  hasher.digest();
  assert.throws(() => hasher.update(new Uint8Array(1)), /after digest/);
});

test('64 MiB hashes to noble\'s digest (both speeds printed)', () => {
  const data = pattern(64 << 20, 99);
  const time = (f) => { const t = performance.now(); const d = f(); return [d, performance.now() - t]; };
  const [ours, oursMs] = time(() => { const h = blake3.create(); for (let i = 0; i < data.length; i += 1 << 20) h.update(data.subarray(i, i + (1 << 20))); return h.digest(); });
  const [theirs, theirsMs] = time(() => noble(data));
  console.log(`blake3 64 MiB: page ${(data.length / 1e3 / oursMs).toFixed(0)} MB/s, noble ${(data.length / 1e3 / theirsMs).toFixed(0)} MB/s`);
  assert.equal(hex(ours), hex(theirs));
});
