// Share links: https://host/#<nameplate>. Only the number travels in a link (the fragment never
// reaches a server anyway, but a link is copied around); a fragment holding anything else, such
// as the code's words, is ignored and removed from the address bar and history entry.

const NAMEPLATE = /^[1-9][0-9]{0,5}$/;

/** The nameplate of a code like "7-word-word", or null. */
export function nameplateOf(code) {
  const first = String(code).split('-')[0];
  return NAMEPLATE.test(first) ? first : null;
}

/** The share link for `code` on the page at `pageUrl` (only the nameplate goes in). */
export function shareLink(pageUrl, code) {
  const n = nameplateOf(code);
  if (!n) return null;
  const url = new URL(pageUrl);
  url.hash = n;
  url.search = '';
  return url.href;
}

/** Reads location.hash: returns the nameplate it carries, or null; clears any other fragment. */
export function takeNameplateFromHash() {
  const hash = window.location.hash.slice(1);
  if (!hash) return null;
  if (NAMEPLATE.test(hash)) return hash;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return null;
}
