// CRC-32 (ISO-HDLC / zip: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
// table-driven and incremental so the zip writer can checksum a file chunk by chunk.
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1);
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC over `bytes`; start with crc32Update(0, ...) and feed the result back. */
export function crc32Update(crc, bytes) {
  let c = (crc ^ 0xFFFFFFFF) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
  return (c ^ 0xFFFFFFFF) >>> 0;
}
