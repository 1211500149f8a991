#!/usr/bin/env bash
# Tallow benchmark suite (not part of ./test.sh): Tallow vs magic-wormhole, wormhole-william,
# nc and AES-256-GCM on 127.0.0.1. Prints one table and writes bench/results/latest.json.
#   bench/run.sh            full run: 1 GiB and 100 MiB, 3 repetitions (takes a while)
#   bench/run.sh --quick    100 MiB only, 1 repetition
#   bench/run.sh --reps 5   other options are passed to bench/compare.py (see --help there)
# Installs what is missing from Debian (apt-get, needs root or sudo), publishes tallow through
# ./tallow, builds bench/relay-load and bench/aes-gcm, then runs bench/compare.py with Debian's python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# --- 1. install only what is missing ---------------------------------------------------------
need=()
for pkg in magic-wormhole python3-magic-wormhole-mailbox-server magic-wormhole-transit-relay \
           wormhole-william netcat-openbsd; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ -x /usr/bin/time ] || need+=(time)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/python3 ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing from Debian: ${need[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# --- 2. build tallow (the wrapper publishes artifacts/tallow when stale) and relay-load -----
./tallow version >/dev/null
dotnet build bench/relay-load/RelayLoad.csproj -c Release --nologo -v quiet -o artifacts/relay-load >/dev/null
dotnet build bench/aes-gcm/AesGcmSpeed.csproj -c Release --nologo -v quiet -o artifacts/aes-gcm >/dev/null

# --- 3. run --------------------------------------------------------------------------------
# Many sockets for the 100-pair relay test.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/bin/python3 "$root/bench/compare.py" --root "$root" "$@"
