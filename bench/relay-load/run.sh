#!/usr/bin/env bash
# Relay load / abuse benchmark (not part of ./test.sh). Starts a real `tallow relay serve` on
# 127.0.0.1, runs bench/relay-load against it and stops it by PID.
#   bench/relay-load/run.sh [load|abuse|hold] [extra relay-load options, e.g. --pairs 500]
# load and abuse run the relay with its per-address limits off (every load client is 127.0.0.1);
# hold runs it with the default limits, as deployed (see bench/README.md).
# Uses artifacts/tallow (publish it first: dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow).
# TALLOW_BIN and RELAY_LOAD_BIN select other builds (e.g. an older relay for comparison; the
# load generator must speak that relay's protocol version), RELAY_LOAD_BIN skips the build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mode="${1:-load}"
shift || true
cd "$root"

# 2,000+ sockets on each side of loopback: raise the descriptor limit when allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "ulimit -n: $(ulimit -n)"

tallow="${TALLOW_BIN:-artifacts/tallow/tallow}"
load="${RELAY_LOAD_BIN:-artifacts/relay-load/relay-load}"
[ -x "$tallow" ] || { echo "$tallow missing: publish the CLI first" >&2; exit 1; }
[ -n "${RELAY_LOAD_BIN:-}" ] || dotnet build bench/relay-load/RelayLoad.csproj -c Release --nologo -v quiet -o artifacts/relay-load >/dev/null

port=$((20000 + RANDOM % 20000))
metrics=$((port + 2))
log="$(mktemp -t relay-load.XXXXXX.log)"
if [ "$mode" = hold ]; then
  # The deployed defaults: the attack is against the per-address limits themselves.
  limits=()
else
  # Limits raised for the run: the per-address limits are off because every client is 127.0.0.1.
  limits=(--max-connections 20000 --max-rooms 20000 --rate-per-ip 0 --max-connections-per-ip 0 --max-unpaired-per-ip 0 --max-failed-claims 0)
fi
"$tallow" relay serve --bind "127.0.0.1:$port" --probe-port 0 --metrics "127.0.0.1:$metrics" "${limits[@]}" --json >"$log" 2>&1 &
relay=$!
cleanup() { kill -TERM "$relay" 2>/dev/null || true; wait "$relay" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  grep -q relay_listening "$log" && break
  kill -0 "$relay" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q relay_listening "$log" || { echo "relay did not start" >&2; cat "$log" >&2; exit 1; }

status=0
"$load" "$mode" --relay "127.0.0.1:$port" --pid "$relay" --metrics "127.0.0.1:$metrics" "$@" || status=$?
echo "relay log lines: $(wc -l <"$log") ($log)"
exit $status
