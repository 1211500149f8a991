// The page's QR encoder against a real decoder: matrices of several versions (1 to 27, so
// multi-block interleaving and version information are covered) are written as PGM images and
// must decode with zbarimg to exactly the text that went in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qrEncode } from '../src/ui/qr.js';

function pgm(matrix, scale = 4, quiet = 4) {
  const n = (matrix.length + quiet * 2) * scale;
  const header = Buffer.from(`P5\n${n} ${n}\n255\n`);
  const px = Buffer.alloc(n * n, 255);
  matrix.forEach((row, y) => row.forEach((dark, x) => {
    if (!dark) return;
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) px[((y + quiet) * scale + dy) * n + (x + quiet) * scale + dx] = 0;
    }
  }));
  return Buffer.concat([header, px]);
}

const texts = [
  'https://127.0.0.1:22001/#7',
  'https://relay.example.org/#1234567',
  'x'.repeat(100),
  'Ünïcödé ✓ ' + 'abc'.repeat(40),
  'long '.repeat(200),
];

test('zbarimg decodes every version we make', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tallow-qr-'));
  try {
    for (const text of texts) {
      const m = qrEncode(text);
      assert.equal((m.length - 17) % 4, 0);
      const path = join(dir, 'q.pgm');
      writeFileSync(path, pgm(m));
      const out = execFileSync('zbarimg', ['--raw', '-q', '-Sbinary', path], { stdio: ['ignore', 'pipe', 'ignore'] });
      assert.equal(out.toString('utf8').replace(/\n$/, ''), text, `version ${(m.length - 17) / 4}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('version grows with the text and too long a text is refused', () => {
  assert.equal(qrEncode('').length, 21);
  assert.equal(qrEncode('a'.repeat(14)).length, 21); // version 1-M holds 14 bytes
  assert.equal(qrEncode('a'.repeat(15)).length, 25);
  assert.throws(() => qrEncode('a'.repeat(2400)), RangeError);
});
