// TallowError: the one error type the protocol layer throws to its callers (the page, the tests).
// `kind` is a stable word the UI maps to a message; `message` never carries secrets or raw peer bytes.
export const ERROR_KINDS = Object.freeze(['wrong-code', 'no-such-code', 'relay', 'tampered', 'cancelled', 'peer-left', 'protocol', 'version', 'rejected']);

export class TallowError extends Error {
  constructor(kind, message, options) {
    super(message, options);
    this.name = 'TallowError';
    this.kind = ERROR_KINDS.includes(kind) ? kind : 'protocol';
  }
}

/** Printable form of text that came from the network: control, escape and bidi characters become '?'. */
export function printable(text, max = 512) {
  const s = String(text).slice(0, max);
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g, '?');
}
