// How a Tallow CLI reaches the relay that served this page, for the "tallow receive" command the
// page shows: the host the browser used (location.hostname) with the relay's main port, TLS and
// certificate pin from /relay.json (served by `tallow relay serve --web`). Checked strictly: a
// value that is not a port number or a SHA-256 pin is ignored and the command goes without
// --relay (docs/web.md says when to add it).

/** The receive command's words before the code, e.g. "tallow receive --relay example.org:4433". */
export async function receiveCommandPrefix() {
  const plain = 'tallow receive';
  try {
    const response = await fetch('relay.json', { cache: 'no-store' });
    if (!response.ok) return plain;
    const info = await response.json();
    const host = window.location.hostname;
    if (!Number.isInteger(info.port) || info.port < 1 || info.port > 65535 || !/^[A-Za-z0-9.\-[\]:]{1,255}$/.test(host)) return plain;
    const address = `${host}:${info.port}`;
    if (info.tls !== true) return `${plain} --relay ${address}`;
    const pin = typeof info.fingerprint === 'string' && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/.test(info.fingerprint) ? info.fingerprint : null;
    return pin ? `${plain} --relay tls://${address} --relay-fingerprint ${pin}` : `${plain} --relay tls://${address}`;
  } catch {
    return plain;
  }
}
