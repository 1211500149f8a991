// Small DOM helpers for the page: element lookup, showing/hiding, safe text for the screen
// (everything from the network goes through textContent after control and bidi characters are
// replaced), byte and duration formatting, and copy-to-clipboard buttons.

export const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} missing`);
  return el;
};

export function show(el, visible = true) { el.hidden = !visible; }

// C0/C1 controls, DEL, and the bidi embedding/override/isolate characters (the "Trojan Source"
// set) can make a name look like another; they are shown as U+FFFD. `keepLines` keeps \n and \t.
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const UNSAFE_WITH_LINES = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

export function safeText(text, keepLines = false) {
  return String(text).replace(keepLines ? UNSAFE : UNSAFE_WITH_LINES, '\uFFFD');
}

export function setText(el, text, keepLines = false) { el.textContent = safeText(text, keepLines); }

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '?';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[i]}`;
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Makes `button` copy `getText()` to the clipboard and say so for a moment. */
export function copyButton(button, getText) {
  const label = button.textContent;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(getText());
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed: select and copy by hand';
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) setText(el, text);
  return el;
}
