#!/bin/bash
# Issue 18 part 2: iperf3 (single stream) vs Tallow direct and relay on long fat and lossy links.
# The links are the link lab's (tests/Tallow.IntegrationTests/LinkLab: namespaces, tc tbf for the
# rate, a user-space delay/loss emulator because this kernel has no netem); the profiles A, B, C
# are LinkProfile.LongFat / Lossy / Satellite, defined there only. The benchmark itself is the
# LinkBenchmark class, run through `dotnet test` (it reuses the lab, which is test code).
#
#   sudo bench/links/run.sh [--quick] [--before PATH_TO_OLD_TALLOW] [--profiles A,B,C]
#
# Root only. Installs iperf3 when missing (dpkg -s first). Publishes artifacts/tallow/tallow when
# missing. Kernel TCP settings are the namespaces' defaults (not raised), the same for every tool.
# Writes bench/results/links.json (ignored by git). Every process is killed by PID and every
# namespace removed by the lab, also after a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=0 before="" profiles=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --before) before="$2"; shift ;;
    --profiles) profiles="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--before OLD_TALLOW] [--profiles A,B,C]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
dpkg -s iperf3 >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y iperf3 >/dev/null
[ -x artifacts/tallow/tallow ] || dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow --nologo -v quiet
binaries="after=$PWD/artifacts/tallow/tallow"
[ -n "$before" ] && binaries="before=$(realpath "$before");$binaries"
echo "loadavg: $(cat /proc/loadavg)"
dotnet build tests/Tallow.IntegrationTests -c Release --nologo -v quiet >/dev/null
TALLOW_LINK_BENCH=1 TALLOW_LINK_BENCH_QUICK=$quick TALLOW_LINK_BENCH_BINARIES="$binaries" \
  TALLOW_LINK_BENCH_JSON="$PWD/bench/results/links.json" ${profiles:+TALLOW_LINK_BENCH_PROFILES=$profiles} \
  timeout 1800 dotnet test tests/Tallow.IntegrationTests -c Release --no-build --nologo \
    --filter "FullyQualifiedName~LinkLab.LinkBenchmark" --logger "console;verbosity=detailed" \
  | grep -E "LINKBENCH|Passed|Failed|Skipped|error" || true
echo "results: bench/results/links.json; loadavg after: $(cat /proc/loadavg)"
