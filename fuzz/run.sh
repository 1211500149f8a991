#!/usr/bin/env bash
# Runs fuzz targets under AFL++ with SharpFuzz: ./fuzz/run.sh <target|all> <seconds per target>
# Installs what is missing (afl++ from Debian, the sharpfuzz tool from fuzz/dotnet-tools.json),
# builds fuzz/Tallow.Fuzz, instruments the Tallow assemblies (and Tomlyn, ZstdSharp), then per
# target, one at a time and niced: afl-fuzz from fuzz/corpus/<target>/ for the given time ("all":
# every target but the threaded ones, which run only when named); new
# queue entries are minimised with afl-cmin into the corpus (seed-* files stay), crashes and hangs
# are copied to fuzz/findings/<target>/. A summary line per target goes to stdout and to
# fuzz/.build/results.tsv (target, seconds, execs, execs/s, corpus, edges, bitmap, crashes, hangs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/.build"
target="${1:-}"
seconds="${2:-}"
if [ -z "$target" ] || ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh <target|all> <seconds per target>" >&2
  exit 2
fi

if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz: afl-fuzz is missing: install the Debian package afl++ (needs root)" >&2
    exit 1
  fi
  echo "fuzz: installing afl++" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi

cd "$here"
dotnet tool restore >/dev/null
echo "fuzz: building and instrumenting" >&2
rm -rf "$build/bin"
nice -n 10 dotnet build "$here/Tallow.Fuzz/Tallow.Fuzz.csproj" -c Release -o "$build/bin" --nologo -v quiet >&2
for dll in Tallow.Wire Tallow.Crypto Tallow.Protocol Tallow.Net Tallow.Relay tallow Tomlyn ZstdSharp; do
  dotnet sharpfuzz "$build/bin/$dll.dll" >/dev/null
done
driver=("$(command -v dotnet)" "$build/bin/Tallow.Fuzz.dll")

# `list` prints: name, corpus folder, "threaded" or "-", parsers. Threaded targets (AFL's coverage
# of them is noise, see FuzzTarget.Threaded) run only when named and never write the corpus.
"${driver[@]}" list >"$build/targets.txt"
if [ "$target" = all ]; then
  mapfile -t targets < <(awk '$3 == "-" {print $1}' "$build/targets.txt")
else
  awk '{print $1}' "$build/targets.txt" | grep -qx "$target" || { echo "fuzz: no target '$target' (see: dotnet $build/bin/Tallow.Fuzz.dll list)" >&2; exit 2; }
  targets=("$target")
fi

# SharpFuzz runs under `dotnet`, which AFL cannot see instrumented; no CPU pinning on a shared machine.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_TieredPGO=0
stat() { sed -n "s/^$1 *: *//p" "$2"; }

for t in "${targets[@]}"; do
  corpus=$(awk -v t="$t" '$1 == t {print $2}' "$build/targets.txt")
  threaded=$(awk -v t="$t" '$1 == t {print $3}' "$build/targets.txt")
  out="$build/afl/$t"
  rm -rf "$out"
  mkdir -p "$out" "$here/findings/$t"
  echo "fuzz: $t for ${seconds}s" >&2
  nice -n 15 afl-fuzz -i "$here/corpus/$corpus" -o "$out" -t 10000 -m none -V "$seconds" -- "${driver[@]}" run "$t" >"$out/afl.log" 2>&1 || {
    echo "fuzz: afl-fuzz failed for $t (see $out/afl.log)" >&2; tail -n 20 "$out/afl.log" >&2; exit 1; }
  stats="$out/default/fuzzer_stats"

  # Crashes and hangs are findings: keep them under a name that is their content's hash.
  for kind in crashes hangs; do
    for f in "$out/default/$kind"/id:*; do
      [ -f "$f" ] || continue
      cp "$f" "$here/findings/$t/${kind%es}-$(sha1sum "$f" | cut -c1-16)"
    done
  done
  rmdir "$here/findings/$t" 2>/dev/null || true

  # New coverage into the corpus, minimised (the seeds stay as they are).
  mkdir -p "$out/min"
  if [ "$threaded" != "-" ]; then
    echo "fuzz: $t is threaded: its queue is not added to corpus/$corpus" >&2
  elif nice -n 15 afl-cmin -i "$out/default/queue" -o "$out/min" -t 10000 -m none -- "${driver[@]}" run "$t" >"$out/cmin.log" 2>&1; then
    find "$here/corpus/$corpus" -type f ! -name 'seed-*' -delete
    seeds=$(sha1sum "$here/corpus/$corpus"/seed-* | cut -c1-16)
    for f in "$out/min"/*; do
      [ -f "$f" ] || continue
      hash=$(sha1sum "$f" | cut -c1-16)
      grep -qx "$hash" <<<"$seeds" || cp "$f" "$here/corpus/$corpus/cov-$hash"
    done
  else
    echo "fuzz: afl-cmin failed for $t (corpus left as it was; see $out/cmin.log)" >&2
  fi

  line="$t	$(stat run_time "$stats")	$(stat execs_done "$stats")	$(stat execs_per_sec "$stats")	$(stat corpus_count "$stats")	$(stat edges_found "$stats")	$(stat bitmap_cvg "$stats")	$(stat saved_crashes "$stats")	$(stat saved_hangs "$stats")"
  echo "$line" >>"$build/results.tsv"
  echo "$line"
done
