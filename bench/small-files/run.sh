#!/usr/bin/env bash
# Many small files (issue 18, part 1): tar|nc, magic-wormhole and Tallow through the relay and
# direct, on trees made from a fixed seed (bench/small-files/trees.py) on tmpfs; every received
# file is hash-checked. Prints one table of ratios measured in this run and writes
# bench/results/small-files.json (ignored by git). Runs as root (apt-get, a network namespace
# for the wormhole servers, as bench/compare.py does).
#   bench/small-files/run.sh --quick                      tiny20k, 1 repetition (about a minute)
#   bench/small-files/run.sh                              all three trees, 3 repetitions
#   bench/small-files/run.sh --before /tmp/main/tallow    adds rows for another tallow binary
# Other options: see run.py --help. Tallow runs as artifacts/tallow/tallow (published if missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

need=()
for pkg in magic-wormhole python3-magic-wormhole-mailbox-server magic-wormhole-transit-relay netcat-openbsd tar; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/python3 ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "small-files: installing from Debian: ${need[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

if [ ! -x artifacts/tallow/tallow ]; then
  dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow --nologo -v quiet >&2
fi
ulimit -n 65536 2>/dev/null || true
exec /usr/bin/python3 "$root/bench/small-files/run.py" --root "$root" "$@"
