#!/usr/bin/python3
"""Many small files: tar|nc, magic-wormhole and Tallow (relay and direct) on loopback.

Run through bench/small-files/run.sh. For each tree of trees.py (made once, on tmpfs, from a fixed
seed) every tool sends the whole folder once per repetition (interleaved), wall time from the
sender's start until both processes exited; the received tree is verified by hashing every file
against the generator's manifest (and no file more). Peak RSS of sender and receiver from
/usr/bin/time. Servers, namespace and process handling come from bench/compare.py (imported).
  tar|nc          `nc -l P | tar x -C OUT` and `tar c -C SRC NAME | nc -N 127.0.0.1 P`
  magic-wormhole  `wormhole send DIR` (zips the folder) / `receive --accept-file -o OUT/NAME`, direct
  tallow relay    `send DIR --no-p2p` / `receive --yes --out OUT --no-p2p` through a local relay
  tallow direct   the same without --no-p2p (path checked by the sender's p2p_upgrade event)
--before BIN adds the same two Tallow rows for another binary (e.g. main's, built into /tmp).
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compare  # noqa: E402  (bench/compare.py: servers, run_pair, netns, helpers)
import trees  # noqa: E402

from compare import log, median, free_port, listening, ACTIVE  # noqa: E402


def tar_nc(src_dir, name, out_dir, timeout):
    """tar c | nc -N  →  nc -l | tar x, on 127.0.0.1; (wall s, error or None, receiver RSS KiB)."""
    port = free_port()
    usage = os.path.join(out_dir, "..", f"tar-rx-{port}.time")
    rx = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", usage, "sh", "-c",
                           f'nc -l 127.0.0.1 {port} | tar x -C "{out_dir}"'], start_new_session=True,
                          stdin=subprocess.DEVNULL)
    ACTIVE.add(rx)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(listening(int(p), port) for p in children(rx.pid)):
        time.sleep(0.005)
    t0 = time.monotonic()
    tx = subprocess.Popen(["sh", "-c", f'tar c -C "{src_dir}" "{name}" | nc -N 127.0.0.1 {port}'],
                          start_new_session=True, stdin=subprocess.DEVNULL)
    ACTIVE.add(tx)
    error = None
    for p in (tx, rx):
        try:
            p.wait(max(1, t0 + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            error = "timeout"
            os.killpg(p.pid, 9)
            p.wait()
        ACTIVE.discard(p)
    wall = time.monotonic() - t0
    if tx.returncode or rx.returncode:
        error = error or f"exit codes {tx.returncode}/{rx.returncode}"
    rss = None
    try:
        rss = int(open(usage).read().split()[0])
        os.remove(usage)
    except (OSError, ValueError, IndexError):
        pass
    return wall, error, rss


def children(pid):
    """PIDs of PID and its descendants (the nc inside `sh -c`)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


class SmallBench(compare.Bench):
    def __init__(self, args):
        super().__init__(args)
        self.tallow = [args.tallow]
        self.variants = [("tar|nc", "loopback", None), ("tallow", "relay", args.tallow), ("tallow", "direct", args.tallow)]
        if args.before:
            self.variants += [("tallow-before", "relay", args.before), ("tallow-before", "direct", args.before)]
        if not args.no_wormhole:
            self.variants.append(("magic-wormhole", "direct", None))
        self.rows = []

    def start_servers(self):
        if self.args.no_wormhole:
            port, mport = free_port(), free_port()
            self.relay_addr = f"127.0.0.1:{port}"
            self.relay = self.server("tallow-relay", self.tallow + [
                "relay", "serve", "--bind", self.relay_addr, "--probe-port", "0", "--metrics", f"127.0.0.1:{mport}",
                "--rate-per-ip", "0", "--json"], port, os.path.join(self.work, "tallow-relay.log"))
        else:
            super().start_servers()

    def one(self, tool, mode, binary, src_dir, name, manifest, size):
        timeout = 120 + size / 2e6
        out = tempfile.mkdtemp(prefix="recv-", dir=self.out_root)
        r = {"path": mode}
        if tool == "tar|nc":
            wall, error, rss = tar_nc(src_dir, name, out, timeout)
            r.update({"wall_s": wall, "error": error, "receiver_rss_kib": rss, "sender_rss_kib": None})
        elif tool.startswith("tallow"):
            code = self.next_code()
            extra = ["--no-p2p"] if mode == "relay" else []
            run, res = compare.run_pair(
                self.work, f"{tool}-{mode}",
                [binary, "send", os.path.join(src_dir, name), "--relay", self.relay_addr, "--code", code, "--json"] + extra,
                [binary, "receive", code, "--relay", self.relay_addr, "--yes", "--out", out, "--json"] + extra,
                r'"event":"code"', timeout, servers=[self.relay])
            r.update(res)
            r["path"] = "direct" if '"event":"p2p_upgrade"' in run.output("sender") else "relay"
            if r.get("error"):
                r["log_tail"] = {k: run.output(k)[-1500:] for k in run.files}
        else:  # magic-wormhole, direct (default)
            code = self.next_code("purple-sausages")
            base = ["wormhole", "--relay-url", self.mailbox_url, "--transit-helper", self.transit]
            self.wh_direct_address(True)
            run, res = compare.run_pair(
                self.work, "magic-wormhole",
                self.ns(base + ["send", "--hide-progress", "--code", code, os.path.join(src_dir, name)]),
                self.ns(base + ["receive", "--hide-progress", "--accept-file", "-o", os.path.join(out, name), code]),
                r"Wormhole code is", timeout, servers=[self.mailbox, self.transit_relay])
            r.update(res)
            if r.get("error"):
                r["log_tail"] = {k: run.output(k)[-1500:] for k in run.files}
        r.pop("server_rss_kib", None)
        ok, detail = trees.verify(os.path.join(out, name), manifest) if not r.get("error") else (False, "not run")
        r["tree_ok"], r["verify"] = ok, detail
        if not ok and not r.get("error"):
            r["error"] = detail
        shutil.rmtree(out, ignore_errors=True)
        return r

    def run_tree(self, name, reps):
        src_dir = tempfile.mkdtemp(prefix="src-", dir=self.out_root)
        log(f"making tree {name} in {src_dir}")
        manifest = trees.make(name, src_dir)
        size = trees.tree_bytes(os.path.join(src_dir, name))
        results = {v[:2]: [] for v in self.variants}
        for rep in range(reps):
            for tool, mode, binary in self.variants:
                r = self.one(tool, mode, binary, src_dir, name, manifest, size)
                results[(tool, mode)].append(r)
                log(f"{name} rep {rep + 1}/{reps} {tool} {mode}: {r['wall_s'] or 0:.2f} s path={r['path']} "
                    f"tree_ok={r['tree_ok']} rss s/r={r.get('sender_rss_kib')}/{r.get('receiver_rss_kib')} KiB"
                    + (f" ERROR {r['error']}" if r.get("error") else ""))
        shutil.rmtree(src_dir, ignore_errors=True)
        base = median([r["wall_s"] for r in results[("tar|nc", "loopback")] if not r.get("error")])
        for (tool, mode), runs in results.items():
            ok = [r for r in runs if not r.get("error")]
            wall = median([r["wall_s"] for r in ok])
            self.rows.append({
                "tree": name, "files": len(manifest), "bytes": size, "tool": tool, "mode": mode,
                "reps": len(runs), "ok_reps": len(ok), "median_wall_s": wall,
                "x_tar_nc": wall / base if wall and base else None,
                "path_observed": "/".join(sorted({r["path"] for r in runs if r.get("path")})),
                "sender_peak_rss_mib": compare.max_mib([r.get("sender_rss_kib") for r in runs]),
                "receiver_peak_rss_mib": compare.max_mib([r.get("receiver_rss_kib") for r in runs]),
                "tree_ok": all(r["tree_ok"] for r in runs), "runs": runs})


def report(rows):
    print()
    print(f"{'tree':10} {'files':>7} {'MiB':>6}  {'tool':16} {'mode':9} {'wall s':>7} {'x tar|nc':>8} "
          f"{'x wormhole':>10} {'tx RSS':>7} {'rx RSS':>7} ok")
    for r in rows:
        wh = next((o for o in rows if o["tree"] == r["tree"] and o["tool"] == "magic-wormhole"), None)
        x_wh = wh["median_wall_s"] / r["median_wall_s"] if wh and wh["median_wall_s"] and r["median_wall_s"] else None
        print(f"{r['tree']:10} {r['files']:>7} {r['bytes'] / 2**20:>6.1f}  {r['tool']:16} {r['path_observed'] or r['mode']:9} "
              f"{compare.fmt(r['median_wall_s'], '.2f'):>7} {compare.fmt(r['x_tar_nc'], '.2f'):>8} "
              f"{compare.fmt(x_wh, '.2f'):>10} {compare.fmt(r['sender_peak_rss_mib']):>7} "
              f"{compare.fmt(r['receiver_peak_rss_mib']):>7} {'yes' if r['tree_ok'] else 'NO'}")
    print("\nwall = median, sender start until both exited; x tar|nc = wall / tar|nc wall (target <= 1.3); "
          "x wormhole = wormhole wall / this wall (target >= 3); RSS = peak MiB over repetitions.")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=root)
    ap.add_argument("--tallow", default=os.path.join(root, "artifacts", "tallow", "tallow"))
    ap.add_argument("--before", default=None, help="another tallow binary for before/after rows")
    ap.add_argument("--trees", default=None, help=f"comma list of {','.join(trees.TREES)} (quick: tiny20k)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, quick 1)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-wormhole", action="store_true", help="skip magic-wormhole (no mailbox server)")
    ap.add_argument("--tmp", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where trees are made and received (default /dev/shm, a tmpfs)")
    ap.add_argument("--json", default=os.path.join(root, "bench", "results", "small-files.json"))
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    names = (args.trees or ("tiny20k" if args.quick else ",".join(trees.TREES))).split(",")
    b = SmallBench(args)
    b.out_root = b.work
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()
    try:
        b.start_servers()
        for name in names:
            b.run_tree(name, reps)
    finally:
        b.stop_all()
    report(b.rows)
    print(f"loadavg at start {load0}, at end {os.getloadavg()}")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"started_utc": started.isoformat(timespec="seconds"), "reps": reps, "loadavg_start": load0,
                   "loadavg_end": os.getloadavg(), "tallow": args.tallow, "before": args.before,
                   "rows": b.rows}, f, indent=1)
    print(f"JSON: {args.json}")
    return 0 if all(r["tree_ok"] for r in b.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
