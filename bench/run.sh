#!/usr/bin/env bash
# Tallow benchmark suite (not part of ./test.sh). Parts, each printing its table and targets
# as ratios measured in that one run (bench/README.md):
#   main         bench/compare.py: Tallow vs magic-wormhole, wormhole-william, nc, AES-256-GCM,
#                --text latency, 100 concurrent pairs        -> bench/results/latest.json
#   small-files  bench/small-files/run.sh: trees of 5k-100k files vs tar|nc and magic-wormhole
#   relay        bench/relay-splice/run.sh: relay CPU per GiB (splice vs copy), 1,000/5,000 pairs
#   links        bench/links/run.sh: iperf3 vs Tallow on long fat and lossy links (root, netns)
#   bench/run.sh                 main, small-files and relay, full (about 25 minutes on 2 cores)
#   bench/run.sh --quick         the same parts, each in its quick mode
#   bench/run.sh --links         adds the link lab part (needs root; about 10 minutes quick)
#   bench/run.sh --parts main    only the named parts (comma list); --reps 5 and other options
#                                go to bench/compare.py (see --help there)
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
parts="main,small-files,relay"; quick=(); main_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --links) parts="$parts,links" ;;
    --parts) parts="$2"; shift ;;
    --quick) quick=(--quick); main_args+=(--quick) ;;
    *) main_args+=("$1") ;;
  esac
  shift
done
failed=()
run_part() { # name command...: a failing part is reported at the end, the others still run
  local name="$1"; shift
  case ",$parts," in *",$name,"*) ;; *) return 0 ;; esac
  echo; echo "=== bench part: $name ==="
  "$@" || failed+=("$name")
}
run_part main /usr/bin/python3 "$root/bench/compare.py" --root "$root" "${main_args[@]}"
run_part small-files "$root/bench/small-files/run.sh" "${quick[@]}"
run_part relay "$root/bench/relay-splice/run.sh" "${quick[@]}"
run_part links "$root/bench/links/run.sh" "${quick[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: parts that failed: ${failed[*]}" >&2
  exit 1
fi
