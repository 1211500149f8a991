#!/bin/bash
# Issue 18 part 2: iperf3 (single stream) vs Tallow direct and relay on long fat and lossy links.
# The links are the link lab's (tests/Tallow.IntegrationTests/LinkLab: namespaces, tc tbf for the
# rate, a user-space delay/loss emulator because this kernel has no netem); the profiles A, B, C
# are LinkProfile.LongFat / Lossy / Satellite, defined there only. The benchmark itself is the
# LinkBenchmark class, run through `dotnet test` (it reuses the lab, which is test code).
#
#   sudo bench/links/run.sh [--quick] [--reps N] [--before OLD_TALLOW] [--profiles A,B,C[,D]] [--wmem-max BYTES]
#
# --quick: smaller files (256/64/16 MiB instead of 1 GiB/200/40 MiB) and 8 s of iperf3 instead of 15.
# --reps N: repetitions (default 1), interleaved; the table shows medians. --before: a second tallow
# binary (e.g. main's, published into /tmp) measured in the same labs as "before". Profile D (only
# when asked) is the long fat test link, 200 Mbit/s with 400 ms RTT. --wmem-max raises
# net.ipv4.tcp_wmem's maximum in every lab namespace, for every tool alike (the default keeps the
# kernel's defaults, which a user has; with them TCP itself sends at most ~4 MiB per round trip).
# Root only. Installs iperf3 (and the wormhole tools: magic-wormhole, wormhole-william, their
# mailbox server and transit relay) when missing (dpkg -s first). Publishes artifacts/tallow/tallow
# when missing.
# Writes bench/results/links.json (ignored by git). Every process is killed by PID and every
# namespace removed by the lab, also after a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=0 before="" profiles="" reps=1 wmem=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="$2"; shift ;;
    --before) before="$2"; shift ;;
    --profiles) profiles="$2"; shift ;;
    --wmem-max) wmem="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--reps N] [--before OLD_TALLOW] [--profiles A,B,C[,D]] [--wmem-max BYTES]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
missing=""
for p in iperf3 magic-wormhole wormhole-william python3-magic-wormhole-mailbox-server magic-wormhole-transit-relay; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >/dev/null; }
[ -x artifacts/tallow/tallow ] || dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow --nologo -v quiet
binaries="after=$PWD/artifacts/tallow/tallow"
[ -n "$before" ] && binaries="before=$(realpath "$before");$binaries"
echo "loadavg: $(cat /proc/loadavg)"
dotnet build tests/Tallow.IntegrationTests -c Release --nologo -v quiet >/dev/null
env TALLOW_LINK_BENCH_QUICK=$quick TALLOW_LINK_BENCH_REPS=$reps TALLOW_LINK_BENCH_BINARIES="$binaries" \
  ${wmem:+TALLOW_LINK_BENCH_WMEM_MAX=$wmem} \
  TALLOW_LINK_BENCH_JSON="$PWD/bench/results/links.json" ${profiles:+TALLOW_LINK_BENCH_PROFILES=$profiles} \
  timeout 3600 dotnet test tests/Tallow.IntegrationTests -c Release --no-build --nologo \
    --filter "FullyQualifiedName~LinkLab.LinkBenchmark" --logger "console;verbosity=detailed" \
  | grep -E "LINKBENCH|Passed|Failed|Skipped|error" || true
echo "results: bench/results/links.json; loadavg after: $(cat /proc/loadavg)"
