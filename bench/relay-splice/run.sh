#!/usr/bin/env bash
# Relay zero-copy and memory benchmark (issue 18 part 3): see bench/relay-splice/bench.py and
# bench/README.md. Installs only what is missing (netcat-openbsd, time), builds bench/relay-load
# (incrementally), raises the descriptor limit (5,000 pairs = 20,000 sockets on loopback) and runs
#   bench/relay-splice/run.sh [--quick] [--base /path/to/older/tallow] [bench.py options]
# Uses artifacts/tallow/tallow (publish it first). Full run: about 10 minutes on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
missing=()
dpkg -s netcat-openbsd >/dev/null 2>&1 || missing+=(netcat-openbsd)
command -v /usr/bin/time >/dev/null 2>&1 || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq  # a fresh machine has no package lists
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -x artifacts/tallow/tallow ] || { echo "artifacts/tallow/tallow missing: dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow" >&2; exit 1; }
dotnet build bench/relay-load/RelayLoad.csproj -c Release --nologo -v quiet -o artifacts/relay-load >/dev/null  # incremental: a stale build speaks an older protocol
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/bin/python3 bench/relay-splice/bench.py "$@"
