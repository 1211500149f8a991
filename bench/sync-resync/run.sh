#!/usr/bin/env bash
# Re-sync of an unchanged tree (issue 14's target: 100,000 files in under 3 s on the 2-core
# reference machine). Builds a tree of FILES small files in 1,000 folders, syncs it once through a
# local relay, then times REPS syncs of the unchanged tree: wall time from starting `tallow sync`
# to both processes exiting (connection, handshake, index, plan and all), and the round alone
# (the sender's sync_round seconds). Also prints the cold first sync for comparison.
#   bench/sync-resync/run.sh [FILES] [REPS]      defaults: 100000 3
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
files="${1:-100000}"; reps="${2:-3}"
"$root/tallow" version >/dev/null # publishes artifacts/tallow when stale
bin="$root/artifacts/tallow/tallow"
work="$(mktemp -d /tmp/tallow-bench-resync.XXXXXX)"
relay_pid=""
cleanup() { [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "building a tree of $files files..." >&2
python3 - "$work/tree" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 100 % 1000:03}", f"e{i % 100 // 10}")
    if i % 10 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.txt"), "w") as f:
        f.write(f"file {i}\n")
PY

port=$((40000 + RANDOM % 20000))
"$bin" relay serve --bind "127.0.0.1:$port" --probe-port 0 >"$work/relay.log" 2>&1 &
relay_pid=$!
sleep 1
export TALLOW_RELAY="127.0.0.1:$port"

one_sync() { # prints "wall_seconds round_seconds"
  local code="bench-$RANDOM-$RANDOM-resync-tree"
  local start end
  start=$(date +%s.%N)
  TALLOW_CODE="$code" "$bin" sync "$work/tree" --json --no-p2p >"$work/sender.json" 2>"$work/sender.err" &
  local sender=$!
  sleep 0.2
  TALLOW_CODE="$code" "$bin" receive --out "$work/out" --yes --no-p2p >/dev/null 2>"$work/receiver.err" || { cat "$work/receiver.err" >&2; exit 1; }
  wait "$sender" || { cat "$work/sender.err" >&2; exit 1; }
  end=$(date +%s.%N)
  local round
  round=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "sync_round" in l][-1]["seconds"])' "$work/sender.json")
  echo "$(python3 -c "print(f'{$end - $start:.2f}')") $round"
}

read -r wall round < <(one_sync)
echo "first sync of $files files: ${wall} s wall, round ${round} s"
for i in $(seq 1 "$reps"); do
  read -r wall round < <(one_sync)
  echo "unchanged re-sync $i: ${wall} s wall (start to both exited, incl. 0.2 s before the receiver starts), round ${round} s"
done
