#!/usr/bin/env bash
# Runs every test (unit, property, relay, integration with real processes) and ends with
# one line "N passed, N failed[, N skipped]". Exit status is non-zero when anything failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
results="$root/TestResults"
rm -rf "$results"

# The integration tests run the published CLI (the NativeAOT binary artifacts/tallow/tallow), exactly as users do.
[ ! -f artifacts/tallow/tallow.dll ] || rm -rf artifacts/tallow
if ! dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow --nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi
touch artifacts/tallow/tallow

status=0
for project in tests/Tallow.Tests tests/Tallow.IntegrationTests; do
  name=$(basename "$project")
  # Benchmarks (bench/links) live in the test project to reuse the link lab; they are not tests.
  timeout 1200 dotnet test "$project" -c Release --nologo --filter "Category!=Benchmark" \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1140000 || status=1
done

passed=0; failed=0; skipped=0; found=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  found=$((found + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
[ "$found" -eq 2 ] || { failed=$((failed + 2 - found)); status=1; }
[ "$failed" -eq 0 ] || status=1

# Name every test that did not pass, with the first line of its message, so a CI log that keeps
# only its tail still says what failed.
if [ "$failed" -gt 0 ]; then
  python3 - "$results" <<'PY' || true
import glob, html, re, sys
for trx in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    text = open(trx, encoding="utf-8", errors="replace").read()
    for m in re.finditer(r'<UnitTestResult [^>]*testName="([^"]*)"[^>]*outcome="(Failed|Error|Timeout|Aborted)"[^>]*>(.*?)</UnitTestResult>', text, re.S):
        msg = re.search(r"<Message>(.*?)</Message>", m.group(3), re.S)
        first = html.unescape(msg.group(1)).strip().splitlines()[0][:300] if msg else ""
        print(f"FAILED {html.unescape(m.group(1))}: {first}")
PY
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
