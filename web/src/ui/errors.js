// Errors in words: each TallowError kind (the contract in web/src/protocol/index.js) becomes
// one sentence a person can act on. Messages never repeat network-supplied text or secrets.

const WORDS = {
  'wrong-code': 'The code did not match: the other side typed a different code (or a typo slipped in). Nothing was transferred; check the words and try again.',
  'no-such-code': 'Nobody is waiting with that code number. Check the number, or ask the sender for a new code.',
  relay: 'Could not talk to the relay (it may be down, full, or refused this connection). Try again in a moment.',
  tampered: 'The data was changed on the way: an integrity check failed, so the transfer was stopped and the partial file discarded.',
  cancelled: 'The transfer was cancelled.',
  'peer-left': 'The other side left before the transfer finished.',
  protocol: 'The other side sent something this page does not understand, so the transfer was stopped.',
  version: 'The other side runs a Tallow version this page cannot talk to. Update one side and try again.',
  rejected: 'The receiver declined the transfer.',
};

/** One sentence for `error` (a TallowError, a DOMException from a picker, or anything else). */
export function describeError(error) {
  if (error && typeof error.kind === 'string' && WORDS[error.kind]) return WORDS[error.kind];
  if (error && error.name === 'AbortError') return WORDS.cancelled;
  if (error && error.name === 'NotAllowedError') return 'The browser did not allow saving there. Try again and pick a location.';
  return 'Something went wrong on this page, so the transfer was stopped. Reload the page and try again.';
}

/** The kind for tests and styling: TallowError kinds, 'cancelled' for aborts, else 'page'. */
export function errorKind(error) {
  if (error && typeof error.kind === 'string' && WORDS[error.kind]) return error.kind;
  if (error && error.name === 'AbortError') return 'cancelled';
  return 'page';
}
