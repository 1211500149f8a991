#!/usr/bin/python3
"""Relay zero-copy (splice) and relay memory benchmark (issue 18 part 3; see bench/README.md).

Run through bench/relay-splice/run.sh. For each relay variant, measured in the same run and
interleaved per repetition:
  before  another tallow build's relay (--base, e.g. main's), copy path
  copy    this build's relay with TALLOW_RELAY_SPLICE=0 (the user-space copy path)
  splice  this build's relay (splice(2) through a kernel pipe)
it measures
  1. relay CPU per GiB: one raw pair (bench/relay-load, no tallow clients) sends SIZE one way; the
     relay's utime+stime from /proc/PID/stat over the transfer, divided by the GiB moved;
  2. Tallow through the relay: `tallow send FILE --no-p2p` to `tallow receive` (this build's
     clients), SIZE of random data, received file hash-checked; MB/s against nc into /dev/null
     measured in the same run, and the relay's CPU over the transfer;
  3. relay memory under load: bench/relay-load `load --pairs N` (1 MiB each way per pair), the
     relay's peak RSS (VmHWM) and the aggregate throughput, for each N in --pairs.
Every relay is started on a free 127.0.0.1 port and stopped by PID. Results: a table on stdout and
bench/results/relay-splice.json. Helpers (servers, pairs, nc) come from bench/compare.py.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compare  # noqa: E402  (bench/compare.py: Server, run_pair, nc_transfer, ...)
from compare import GiB, MiB, free_port, log, median, run_pair  # noqa: E402

LIMITS_OFF = ["--max-connections", "30000", "--max-rooms", "30000", "--rate-per-ip", "0", "--max-connections-per-ip", "0",
              "--max-unpaired-per-ip", "0", "--max-failed-claims", "0"]


class Variant:
    def __init__(self, name, binary, env):
        self.name, self.binary, self.env = name, binary, env

    def relay(self, work, tag):
        port = free_port()
        cmd = ["env"] + [f"{k}={v}" for k, v in self.env.items()] + [
            self.binary, "relay", "serve", "--bind", f"127.0.0.1:{port}", "--probe-port", "0", "--json"] + LIMITS_OFF
        server = compare.Server(f"relay-{self.name}", cmd, port, os.path.join(work, f"relay-{self.name}-{tag}.log"))
        return server, f"127.0.0.1:{port}"


def relay_load(load_bin, server, addr, pairs, size, direction, timeout):
    """Runs bench/relay-load against SERVER; returns its parsed summary (or an error)."""
    cmd = [load_bin, "load", "--relay", addr, "--pid", str(server.pid), "--pairs", str(pairs), "--bytes", str(size),
           "--direction", direction]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        return {"error": f"relay-load timed out after {timeout} s"}
    r = {"error": None}
    m = re.search(r"transfer: (\d+) MiB through the relay in ([\d.]+) s = ([\d.]+) MiB/s", out)
    c = re.search(r"relay: peak RSS \(VmHWM\) ([\d.]+) MiB, RSS now ([\d.]+) MiB, CPU ([\d.]+) s during the run", out)
    g = re.search(r"good pairs completed: (\d+)/(\d+)", out)
    if not (m and c and g) or g.group(1) != g.group(2):
        r["error"] = "relay-load failed: " + out[-800:]
        return r
    r.update(mib=int(m.group(1)), wall_s=float(m.group(2)), mib_per_s=float(m.group(3)),
             peak_rss_mib=float(c.group(1)), cpu_s=float(c.group(3)))
    return r


def tallow_transfer(bench_work, client, addr, server, path, digest, size, code):
    rdir = os.path.join(bench_work, f"recv-{code.split('-')[0]}")
    os.makedirs(rdir)
    run, r = run_pair(bench_work, "tallow-relay",
                      [client, "send", path, "--relay", addr, "--code", code, "--json", "--no-p2p"],
                      [client, "receive", code, "--relay", addr, "--yes", "--out", rdir, "--json", "--no-p2p"],
                      r'"event":"code"', 60 + size / 3e6, servers=[server])
    received = os.path.join(rdir, os.path.basename(path))
    if r["error"] is None and (not os.path.exists(received) or compare.sha256(received) != digest):
        r["error"] = "received file differs (hash)"
    if os.path.exists(received):
        os.remove(received)
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    p.add_argument("--tallow", default=os.path.join(root, "artifacts/tallow/tallow"))
    p.add_argument("--base", help="another tallow binary whose relay is the 'before' row (e.g. main's build)")
    p.add_argument("--relay-load", default=os.path.join(root, "artifacts/relay-load/relay-load"))
    p.add_argument("--size-mib", type=int, default=1024)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--pairs", default="1000,5000", help="concurrent pairs for the memory runs, comma-separated")
    p.add_argument("--quick", action="store_true", help="256 MiB, 1 repetition, 1000 pairs")
    p.add_argument("--tmp", default="/tmp")
    p.add_argument("--out", default=os.path.join(root, "bench/results/relay-splice.json"))
    a = p.parse_args()
    if a.quick:
        a.size_mib, a.reps, a.pairs = 256, 1, "1000"
    size = a.size_mib * MiB
    pair_counts = [int(x) for x in a.pairs.split(",") if x]
    variants = ([Variant("before", a.base, {})] if a.base else []) + [
        Variant("copy", a.tallow, {"TALLOW_RELAY_SPLICE": "0"}), Variant("splice", a.tallow, {})]

    work = compare.tempfile.mkdtemp(prefix="relay-splice-", dir=a.tmp)
    load0 = os.getloadavg()
    path = os.path.join(work, "random.bin")
    log(f"writing {a.size_mib} MiB of random data")
    with open(path, "wb") as f:
        for _ in range(a.size_mib):
            f.write(os.urandom(MiB))
    digest = compare.sha256(path)
    rows = {v.name: {"raw": [], "tallow": [], "load": {n: [] for n in pair_counts}} for v in variants}
    nc = []
    code = 100 + os.getpid() % 500
    servers = []
    try:
        for rep in range(a.reps):
            wall, rc, lrc = compare.nc_transfer(path, subprocess.DEVNULL, 120)
            nc.append(size / wall / 1e6 if rc == 0 and lrc == 0 else None)
            log(f"rep {rep + 1}: nc -> /dev/null {nc[-1] or 0:.0f} MB/s")
            for v in variants:
                server, addr = v.relay(work, f"{rep}")
                servers.append(server)
                raw = relay_load(a.relay_load, server, addr, 1, size, "one", 120 + size / 2e6)
                if raw["error"] is None:
                    raw["cpu_s_per_gib"] = raw["cpu_s"] / (raw["mib"] / 1024)
                rows[v.name]["raw"].append(raw)
                code += 1
                t = tallow_transfer(work, a.tallow, addr, server, path, digest, size, f"{code}-amber-lunar-forge")
                t["mb_per_s"] = size / t["wall_s"] / 1e6 if t["error"] is None and t["wall_s"] else None
                t["relay_cpu_s_per_gib"] = t["server_cpu_s"][server.name] / (size / GiB)
                rows[v.name]["tallow"].append(t)
                server.stop()
                servers.remove(server)
                log(f"rep {rep + 1} {v.name}: raw relay {raw.get('cpu_s_per_gib', 0):.2f} CPU s/GiB "
                    f"({raw.get('mib_per_s', 0):.0f} MiB/s){' ' + raw['error'] if raw['error'] else ''}; tallow relay "
                    f"{t['mb_per_s'] or 0:.0f} MB/s, relay {t['relay_cpu_s_per_gib']:.2f} CPU s/GiB{' ' + t['error'] if t['error'] else ''}")
            for n in pair_counts:
                for v in variants:
                    server, addr = v.relay(work, f"load{n}-{rep}")
                    servers.append(server)
                    r = relay_load(a.relay_load, server, addr, n, MiB, "both", 600)
                    rows[v.name]["load"][n].append(r)
                    server.stop()
                    servers.remove(server)
                    log(f"rep {rep + 1} {v.name} {n} pairs: peak RSS {r.get('peak_rss_mib', 0):.0f} MiB, "
                        f"{r.get('mib_per_s', 0):.0f} MiB/s aggregate{' ' + r['error'] if r['error'] else ''}")
    finally:
        for s in servers:
            s.stop()

    nc_med = median(nc)
    summary = {"loadavg_start": load0, "loadavg_end": os.getloadavg(), "size_mib": a.size_mib, "reps": a.reps,
               "nc_devnull_mb_per_s": nc_med, "variants": {}}
    print(f"\nrelay zero-copy benchmark: {a.size_mib} MiB, {a.reps} rep(s), median; loadavg {load0[0]:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"nc -> /dev/null: {nc_med or 0:.0f} MB/s")
    head = f"{'relay':8} {'raw CPU s/GiB':>14} {'raw MiB/s':>10} {'tallow MB/s':>12} {'x nc':>6} {'relay CPU s/GiB (tallow)':>25}"
    head += "".join(f" {f'{n} pairs: peak RSS MiB, MiB/s':>34}" for n in pair_counts)
    print(head)
    for v in variants:
        row = rows[v.name]
        ok = lambda xs, k: [x.get(k) for x in xs if x.get("error") is None]  # noqa: E731
        s = {"raw_cpu_s_per_gib": median(ok(row["raw"], "cpu_s_per_gib")), "raw_mib_per_s": median(ok(row["raw"], "mib_per_s")),
             "tallow_mb_per_s": median(ok(row["tallow"], "mb_per_s")),
             "tallow_relay_cpu_s_per_gib": median(ok(row["tallow"], "relay_cpu_s_per_gib")),
             "errors": [x["error"] for x in row["raw"] + row["tallow"] if x.get("error")],
             "load": {}}
        s["tallow_x_nc"] = s["tallow_mb_per_s"] / nc_med if s["tallow_mb_per_s"] and nc_med else None
        for n in pair_counts:
            s["load"][n] = {"peak_rss_mib": median(ok(row["load"][n], "peak_rss_mib")),
                            "mib_per_s": median(ok(row["load"][n], "mib_per_s")),
                            "budget_mib": 64 + n * 2 * 32 / 1024}
            s["errors"] += [x["error"] for x in row["load"][n] if x.get("error")]
        s["runs"] = row
        summary["variants"][v.name] = s
        f = compare.fmt
        line = (f"{v.name:8} {f(s['raw_cpu_s_per_gib'], '.2f'):>14} {f(s['raw_mib_per_s'], '.0f'):>10} {f(s['tallow_mb_per_s'], '.0f'):>12}"
                f" {f(s['tallow_x_nc'], '.2f'):>6} {f(s['tallow_relay_cpu_s_per_gib'], '.2f'):>25}")
        line += "".join(f" {f(s['load'][n]['peak_rss_mib'], '.0f') + ', ' + f(s['load'][n]['mib_per_s'], '.0f'):>34}" for n in pair_counts)
        print(line + (f"  errors: {len(s['errors'])}" if s["errors"] else ""))
    if "splice" in summary["variants"]:
        sp = summary["variants"]["splice"]
        ref = summary["variants"].get("before") or summary["variants"]["copy"]
        ref_name = "before" if "before" in summary["variants"] else "copy"
        print(f"\ntargets (splice against {ref_name}, same run):")
        if sp["raw_cpu_s_per_gib"] and ref["raw_cpu_s_per_gib"]:
            ratio = sp["raw_cpu_s_per_gib"] / ref["raw_cpu_s_per_gib"]
            print(f"  relay CPU per GiB halved: {ratio:.2f}x of {ref_name} -> {'met' if ratio <= 0.5 else 'NOT met'}")
        if sp["tallow_x_nc"]:
            print(f"  tallow relay >= 0.6x nc -> /dev/null: {sp['tallow_x_nc']:.2f}x -> {'met' if sp['tallow_x_nc'] >= 0.6 else 'NOT met'}")
        for n in pair_counts:
            l = sp["load"][n]
            if l["peak_rss_mib"]:
                print(f"  {n} pairs peak RSS <= {l['budget_mib']:.0f} MiB: {l['peak_rss_mib']:.0f} MiB -> "
                      f"{'met' if l['peak_rss_mib'] <= l['budget_mib'] else 'NOT met'}; aggregate {compare.fmt(l['mib_per_s'], '.0f')} MiB/s "
                      f"({ref_name}: {compare.fmt(ref['load'][n]['mib_per_s'], '.0f')})")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(summary, f, indent=1, default=str)
    log(f"wrote {a.out}")
    compare.shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
