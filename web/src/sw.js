// The download worker (see ui/sinks.js): answers GET <scope>/__tallow/download/<id> with a
// stream of bytes that the page posts through the MessagePort it registered under <id>.
// The stream pulls one chunk at a time ('pull' to the page, then a 'chunk', 'done' or 'abort'),
// so the browser's download speed paces the transfer and nothing piles up in memory.
// Each id answers one request only; unknown ids get 404.

const pending = new Map();
const PREFIX = '__tallow/download/';

self.addEventListener('install', () => { self.skipWaiting(); });
self.addEventListener('activate', (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener('message', (event) => {
  const msg = event.data;
  const port = event.ports && event.ports[0];
  // 'keep-alive' needs no answer: receiving a message is what keeps the worker running.
  if (!port || !msg || msg.type !== 'tallow-download' || typeof msg.id !== 'string' || !/^[0-9a-f]{32}$/.test(msg.id)) return;
  pending.set(msg.id, { port, name: String(msg.name || 'download'), size: Number.isSafeInteger(msg.size) ? msg.size : null });
  port.postMessage({ type: 'registered' });
});

function disposition(name) {
  const clean = name.replace(/[\u0000-\u001F\u007F"\\/]/g, '_').slice(0, 200) || 'download';
  const ascii = clean.replace(/[^\x20-\x7E]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(clean)}`;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const base = new URL(PREFIX, self.registration.scope);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return;
  const id = url.pathname.slice(base.pathname.length);
  const entry = pending.get(id);
  if (!entry) { event.respondWith(new Response('Not found', { status: 404 })); return; }
  pending.delete(id);
  const { port } = entry;
  let answer = null;
  port.onmessage = (m) => { const a = answer; answer = null; if (a) a(m.data); };
  const stream = new ReadableStream({
    pull(controller) {
      return new Promise((resolve) => {
        answer = (msg) => {
          if (msg && msg.type === 'chunk' && msg.chunk instanceof ArrayBuffer) controller.enqueue(new Uint8Array(msg.chunk));
          else if (msg && msg.type === 'done') controller.close();
          else controller.error(new Error('the transfer was stopped'));
          resolve();
        };
        port.postMessage({ type: 'pull' });
      });
    },
    cancel() { port.postMessage({ type: 'cancel' }); },
  });
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': disposition(entry.name),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
  if (entry.size !== null) headers['Content-Length'] = String(entry.size);
  event.respondWith(new Response(stream, { headers }));
});
