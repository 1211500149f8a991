#!/usr/bin/env bash
# A real transfer on the zero-config default: `tallow send` starts its embedded relay, a
# receiver joins with the printed code, and the received file is checked by hash.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
sender_pid=""
cleanup() { [ -n "$sender_pid" ] && kill "$sender_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

head -c 64M /dev/urandom > "$work/demo.bin"
echo "demo: sending a 64 MiB file with 'tallow send' (no relay configured: it embeds one)" >&2
"$root/tallow" send "$work/demo.bin" --json > "$work/send.jsonl" 2> "$work/send.err" &
sender_pid=$!

code=""
for _ in $(seq 1 600); do
  code=$(sed -n 's/.*"event":"code","code":"\([^"]*\)".*/\1/p' "$work/send.jsonl" | head -n1)
  [ -n "$code" ] && break
  kill -0 "$sender_pid" 2>/dev/null || { cat "$work/send.err" >&2; exit 1; }
  sleep 0.2
done
[ -n "$code" ] || { echo "demo: the sender printed no code" >&2; exit 1; }
port=$(sed -n 's/.*"relay":"[^"]*:\([0-9]*\)".*/\1/p' "$work/send.jsonl" | head -n1)
echo "demo: code is $code; receiving via the sender's embedded relay on this machine (port $port)" >&2

# The code goes in TALLOW_CODE, not the arguments, where every local user could read it (ps).
TALLOW_CODE="$code" "$root/tallow" receive --relay "127.0.0.1:$port" --out "$work/received" --yes
wait "$sender_pid"; sender_pid=""

sent=$(sha256sum "$work/demo.bin" | cut -d' ' -f1)
got=$(sha256sum "$work/received/demo.bin" | cut -d' ' -f1)
if [ "$sent" = "$got" ]; then
  echo "demo: OK, the received file matches (sha256 $got)"
else
  echo "demo: MISMATCH sent $sent received $got" >&2
  exit 1
fi
