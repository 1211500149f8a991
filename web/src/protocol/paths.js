// Path checks for every name that arrives from the network, the same rules as the CLI receiver
// (src/Tallow.Protocol/Transfer/PathSanitizer.cs): relative, '/'-separated, no empty/'.'/'..'
// component, no control, escape or bidi characters, no backslash or drive prefix, no Windows
// device names, components ≤ 255 bytes, path ≤ 4096 bytes, depth ≤ 64. A bad path is refused,
// never "repaired".
import { utf8 } from './bytes.js';

export const MAX_COMPONENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;
export const MAX_DEPTH = 64;
const RESERVED = new Set(['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [`COM${i}`, `LPT${i}`])]);
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;

/** Returns null when the component is safe, else the reason. */
export function componentProblem(name) {
  if (name.length === 0 || name === '.' || name === '..') return "empty, '.' or '..' component";
  if (utf8(name).length > MAX_COMPONENT_BYTES) return 'name longer than 255 bytes';
  if (UNSAFE.test(name)) return 'control or escape characters in a name';
  if (name.length >= 2 && name[1] === ':' && /[A-Za-z]/.test(name[0])) return 'drive prefix';
  const stem = name.split('.')[0].replace(/ +$/, '');
  if (RESERVED.has(stem.toUpperCase())) return 'reserved device name';
  return null;
}

/** Splits a network path into safe components: { parts } or { problem }. */
export function splitPath(path) {
  if (typeof path !== 'string' || path.length === 0 || utf8(path).length > MAX_PATH_BYTES) return { problem: 'empty or too long' };
  if (path[0] === '/' || path.includes('\\')) return { problem: 'absolute path or backslash' };
  const parts = path.split('/');
  if (parts.length > MAX_DEPTH) return { problem: 'nested too deeply' };
  for (const p of parts) {
    const problem = componentProblem(p);
    if (problem) return { problem };
  }
  return { parts };
}

export const isHidden = (parts) => parts.some((p) => p.startsWith('.'));
