#!/usr/bin/python3
"""Tallow vs magic-wormhole, wormhole-william, nc and AES-256-GCM on loopback (see bench/README.md).

Run through bench/run.sh, which installs the tools and builds tallow first. Debian's python3,
standard library only. Every server listens on 127.0.0.1 and is stopped by PID at the end.

The two wormhole tools run inside a private network namespace (root only): wormhole-william's
CLI has no option for the transit relay, so the namespace's /etc/hosts (ip netns exec mounts
/etc/netns/NAME/hosts) points its built-in transit.magic-wormhole.io:4001 at the local transit
relay on 127.0.0.1:4001. Direct mode needs an address that is not loopback: 10.233.0.1/32 is
added to the namespace's lo; without it wormhole-william offers no direct hint (relay mode).
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MiB = 1 << 20
GiB = 1 << 30
MB = 1e6
CLK_TCK = os.sysconf("SC_CLK_TCK")
WH_EXTRA_ADDR = "10.233.0.1/32"
ACTIVE = set()  # client processes running now, killed (process group) when the benchmark is interrupted


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(pid, port):
    """True when the network namespace of `pid` has a TCP socket listening on `port`."""
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def proc_status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak(pid):
    """Resets VmHWM (peak RSS) of a running process (see proc(5), clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return 0.0


def nc_transfer(path, sink, timeout, usage=None):
    """Sends PATH with `nc -N` to an `nc -l` that writes into SINK (a file or subprocess.DEVNULL), on 127.0.0.1.
    Returns (wall s from the sender's start until both exited, sender rc, listener rc); with USAGE the sender
    runs under /usr/bin/time -f '%M %U %S' -o USAGE."""
    port = free_port()
    listener = subprocess.Popen(["nc", "-l", "127.0.0.1", str(port)], stdout=sink, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    ACTIVE.add(listener)
    deadline = time.monotonic() + 10
    while not listening(listener.pid, port) and time.monotonic() < deadline:
        time.sleep(0.005)
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", usage] if usage else []
    t0 = time.monotonic()
    with open(path, "rb") as data:
        rc = subprocess.call(timed + ["nc", "-N", "127.0.0.1", str(port)], stdin=data, timeout=timeout)
    try:
        listener.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(listener.pid, signal.SIGKILL)
        listener.wait()
    wall = time.monotonic() - t0
    ACTIVE.discard(listener)
    return wall, rc, listener.returncode


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            h.update(chunk)
    return h.hexdigest()


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def size_name(n):
    return f"{n // GiB} GiB" if n % GiB == 0 else f"{n // MiB} MiB"


class Server:
    def __init__(self, name, cmd, port, logfile, wait_s=60, netns=False):
        self.name, self.port = name, port
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + wait_s
        own_ns = os.readlink("/proc/self/ns/net")

        def ready():
            # In a namespace: only once `ip netns exec` has switched (before that /proc/PID/net is the host's).
            try:
                if netns and os.readlink(f"/proc/{self.proc.pid}/ns/net") == own_ns:
                    return False
            except OSError:
                return False
            return listening(self.proc.pid, port)

        while not ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({self.proc.returncode}): {read(logfile)[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not listening on port {port} after {wait_s} s: {read(logfile)[-2000:]}")
            time.sleep(0.05)
        log(f"{name} listening on 127.0.0.1:{port} (pid {self.proc.pid})")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


class Run:
    """One measured sender/receiver pair: wall from sender start until both have exited."""

    def __init__(self, work, tag):
        self.dir = tempfile.mkdtemp(prefix=tag + "-", dir=work)
        self.files = {}

    def start(self, role, cmd, cwd=None, stdin_text=None):
        out = os.path.join(self.dir, role + ".out")
        timef = os.path.join(self.dir, role + ".time")
        self.files[role] = (out, timef)
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", timef] + cmd, cwd=cwd or self.dir,
                             stdout=open(out, "w"), stderr=subprocess.STDOUT,
                             stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                             start_new_session=True)
        ACTIVE.add(p)
        if stdin_text is not None:
            p.stdin.write(stdin_text.encode())
            p.stdin.close()
        return p

    def output(self, role):
        return read(self.files[role][0])

    def usage(self, role):
        """(peak RSS KiB, CPU s) from GNU time's -o file."""
        m = re.search(r"^(\d+) ([\d.]+) ([\d.]+)\s*$", read(self.files[role][1]), re.M)
        return (int(m.group(1)), float(m.group(2)) + float(m.group(3))) if m else (None, None)


def run_pair(work, tag, sender, receiver, ready, timeout, servers=(), receiver_cwd=None, receiver_stdin=None):
    """Starts the sender, waits for `ready` in its output, starts the receiver, waits for both."""
    run = Run(work, tag)
    for s in servers:
        reset_peak(s.pid)
    cpu0 = {s.pid: cpu_seconds(s.pid) for s in servers}
    exits = {}

    def waiter(role, p):
        p.wait()
        exits[role] = time.monotonic()

    t0 = time.monotonic()
    deadline = t0 + timeout
    ps = run.start("sender", sender)
    tw = threading.Thread(target=waiter, args=("sender", ps), daemon=True)
    tw.start()
    error = None
    pr = None
    while not re.search(ready, run.output("sender")):
        if ps.poll() is not None:
            error = f"sender exited ({ps.returncode}) before it was ready"
            break
        if time.monotonic() > min(deadline, t0 + 120):
            error = "sender not ready in time"
            break
        time.sleep(0.003)
    if error is None:
        pr = run.start("receiver", receiver, cwd=receiver_cwd, stdin_text=receiver_stdin)
        threading.Thread(target=waiter, args=("receiver", pr), daemon=True).start()
    for p in (ps, pr):
        if p is None:
            continue
        try:
            p.wait(max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            error = error or f"timeout after {timeout:.0f} s"
    for p in (ps, pr):
        if p is not None and p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        ACTIVE.discard(p)
    tw.join(1)
    time.sleep(0.02)
    wall = (max(exits.values()) - t0) if len(exits) == 2 else None
    s_rss, s_cpu = run.usage("sender")
    r_rss, r_cpu = run.usage("receiver") if pr else (None, None)
    result = {
        "wall_s": wall, "sender_rc": ps.returncode, "receiver_rc": pr.returncode if pr else None,
        "sender_rss_kib": s_rss, "receiver_rss_kib": r_rss,
        "server_rss_kib": {s.name: proc_status_kib(s.pid, "VmHWM") for s in servers},
        "server_cpu_s": {s.name: round(cpu_seconds(s.pid) - cpu0[s.pid], 3) for s in servers},
        "cpu_s": None, "error": error,
    }
    if s_cpu is not None and r_cpu is not None:
        result["cpu_s"] = round(s_cpu + r_cpu + sum(result["server_cpu_s"].values()), 3)
    if error is None and (ps.returncode != 0 or (pr and pr.returncode != 0)):
        result["error"] = f"exit codes sender {ps.returncode}, receiver {pr.returncode if pr else '-'}"
    return run, result


class Bench:
    def __init__(self, args):
        self.args = args
        self.root = args.root
        # The published binary, as users run it: run.sh has built it through ./tallow, whose
        # staleness check (a find over src/) would add about 45 ms to every process started.
        self.tallow = [os.path.join(self.root, "artifacts", "tallow", "tallow")]
        self.work = tempfile.mkdtemp(prefix="tallow-bench-", dir=args.tmp)
        self.servers = []
        self.netns = None
        self.wh_addr_present = False
        self.code_counter = 100 + os.getpid() % 500
        self.transfers, self.latency, self.notes = [], [], []
        self.baselines, self.capacity = {}, {}

    # --- infrastructure ---------------------------------------------------------------------
    def next_code(self, words="amber-lunar-forge"):
        self.code_counter += 1
        return f"{self.code_counter}-{words}"

    def server(self, *a, **kw):
        s = Server(*a, **kw)
        self.servers.append(s)
        return s

    def ns(self, cmd):
        return (["ip", "netns", "exec", self.netns] + cmd) if self.netns else cmd

    def setup_netns(self):
        if os.geteuid() != 0 or not shutil.which("ip"):
            self.notes.append("not root: no network namespace, so wormhole-william cannot be pointed at the local "
                              "transit relay (its CLI has no option for it) and is skipped")
            return False
        name = f"tallow-bench-{os.getpid()}"
        try:
            subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        except subprocess.CalledProcessError as e:
            self.notes.append(f"ip netns add failed ({e.stderr.decode().strip()}): wormhole-william skipped")
            return False
        self.netns = name
        os.makedirs(f"/etc/netns/{name}", exist_ok=True)
        with open(f"/etc/netns/{name}/hosts", "w") as f:
            f.write("127.0.0.1 localhost transit.magic-wormhole.io relay.magic-wormhole.io\n::1 localhost\n")
        subprocess.run(self.ns(["ip", "link", "set", "lo", "up"]), check=True)
        return True

    def wh_direct_address(self, present):
        if self.netns and present != self.wh_addr_present:
            subprocess.run(self.ns(["ip", "addr", "add" if present else "del", WH_EXTRA_ADDR, "dev", "lo"]),
                           check=True)
            self.wh_addr_present = present

    def start_servers(self):
        # Tallow relay (rate limit off: every run comes from 127.0.0.1).
        port, mport = free_port(), free_port()
        self.relay_addr = f"127.0.0.1:{port}"
        self.relay = self.server("tallow-relay", self.tallow + [
            "relay", "serve", "--bind", self.relay_addr, "--probe-port", "0", "--metrics", f"127.0.0.1:{mport}",
            "--rate-per-ip", "0", "--json"], port, os.path.join(self.work, "tallow-relay.log"))
        # magic-wormhole mailbox (rendezvous) server and transit relay, both twistd plugins.
        have_ns = self.setup_netns()
        mb_port, tr_port = (4000, 4001) if have_ns else (free_port(), free_port())
        self.mailbox_url = f"ws://127.0.0.1:{mb_port}/v1"
        self.transit = f"tcp:127.0.0.1:{tr_port}"
        self.transit_usage = os.path.join(self.work, "transit-usage.json")
        self.mailbox = self.server("wormhole-mailbox", self.ns([
            "twistd3", "-n", "--pidfile=", "--logfile=-", "wormhole-mailbox",
            f"--port=tcp:{mb_port}:interface=127.0.0.1", f"--channel-db={self.work}/mailbox.sqlite"]),
            mb_port, os.path.join(self.work, "mailbox.log"), netns=have_ns)
        self.transit_relay = self.server("transit-relay", self.ns([
            "sh", "-c", f'exec twistd3 -n --pidfile= --logfile=- transitrelay '
            f'--port=tcp:{tr_port}:interface=127.0.0.1 --log-fd=3 3>>"{self.transit_usage}"']),
            tr_port, os.path.join(self.work, "transit.log"), netns=have_ns)

    def stop_all(self):
        for p in list(ACTIVE):
            try:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                log(f"stopping {s.name}: {e}")
        if self.netns:
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
            shutil.rmtree(f"/etc/netns/{self.netns}", ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)

    def make_data(self, size):
        path = os.path.join(self.work, f"random-{size_name(size).replace(' ', '')}.bin")
        log(f"writing {size_name(size)} of random data to {path}")
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 16 * MiB)
                f.write(os.urandom(n))
                left -= n
        return path, sha256(path)

    # --- one transfer per tool and mode ------------------------------------------------------
    def transfer(self, tool, mode, path, digest, size):
        timeout = 60 + size / 3e6
        name = os.path.basename(path)
        tag = f"{tool}-{mode}"
        rdir = tempfile.mkdtemp(prefix="recv-", dir=self.work)
        received = os.path.join(rdir, name)
        path_used = None
        if tool == "tallow":
            code = self.next_code()
            extra = ["--no-p2p"] if mode == "relay" else []
            run, r = run_pair(self.work, tag,
                              self.tallow + ["send", path, "--relay", self.relay_addr, "--code", code, "--json"] + extra,
                              self.tallow + ["receive", code, "--relay", self.relay_addr, "--yes", "--out", rdir,
                                             "--json"] + extra,
                              r'"event":"code"', timeout, servers=[self.relay])
            out = run.output("sender")
            path_used = "direct" if '"event":"p2p_upgrade"' in out else "relay"
            r["relay_rss_kib"] = r["server_rss_kib"]["tallow-relay"]
        elif tool == "magic-wormhole":
            code = self.next_code("purple-sausages")
            base = ["wormhole", "--relay-url", self.mailbox_url, "--transit-helper", self.transit]
            extra = ["--no-listen"] if mode == "relay" else []
            self.wh_direct_address(mode == "direct")
            run, r = run_pair(self.work, tag,
                              self.ns(base + ["send", "--hide-progress", "--code", code] + extra + [path]),
                              self.ns(base + ["receive", "--hide-progress", "--accept-file", "-o", received] + extra
                                      + [code]),
                              r"Wormhole code is", timeout, servers=[self.mailbox, self.transit_relay])
            m = re.search(r"Receiving \((->\S+?)\)", run.output("receiver"))
            path_used = ("relay" if "->relay:" in m.group(1) else "direct") if m else None
            r["relay_rss_kib"] = r["server_rss_kib"]["transit-relay"]
        elif tool == "wormhole-william":
            if not self.netns:
                return None
            code = self.next_code("purple-sausages")
            base = ["wormhole-william", "--relay-url", self.mailbox_url]
            self.wh_direct_address(mode == "direct")
            before = len(read(self.transit_usage).splitlines())
            run, r = run_pair(self.work, tag,
                              self.ns(base + ["send", "--hide-progress", "--code", code, path]),
                              self.ns(base + ["receive", "--hide-progress", code]),
                              r"Wormhole code is", timeout, servers=[self.mailbox, self.transit_relay],
                              receiver_cwd=rdir, receiver_stdin="y\n")
            time.sleep(0.3)  # the transit relay logs a session when both sides closed
            relayed = 0
            for line in read(self.transit_usage).splitlines()[before:]:
                try:
                    relayed += json.loads(line).get("total_bytes") or 0
                except ValueError:
                    pass
            path_used = "relay" if relayed >= size else "direct"
            r["relay_rss_kib"] = r["server_rss_kib"]["transit-relay"]
        elif tool == "nc":
            usage = os.path.join(self.work, "nc.time")
            with open(received, "wb") as out:
                wall, rc, listener_rc = nc_transfer(path, out, timeout, usage)
            m = re.search(r"^(\d+) ([\d.]+) ([\d.]+)", read(usage), re.M)
            r = {"wall_s": wall, "sender_rc": rc, "receiver_rc": listener_rc,
                 "sender_rss_kib": int(m.group(1)) if m else None, "receiver_rss_kib": None, "relay_rss_kib": None,
                 "cpu_s": None, "error": None if rc == 0 and listener_rc == 0 else "nc failed"}
            path_used = "direct"
        else:
            raise ValueError(tool)
        ok = os.path.isfile(received) and os.path.getsize(received) == size and sha256(received) == digest
        shutil.rmtree(rdir, ignore_errors=True)
        r.update({"hash_ok": ok, "path": path_used})
        r.pop("server_rss_kib", None)
        if not ok and not r.get("error"):
            r["error"] = "received file missing or hash mismatch"
        if r.get("error") and tool != "nc":
            r["log_tail"] = {k: run.output(k)[-1500:] for k in run.files}
        return r

    # --- suites -------------------------------------------------------------------------------
    def run_transfers(self, sizes, reps):
        modes = [("nc", "loopback"), ("tallow", "relay"), ("tallow", "direct"),
                 ("magic-wormhole", "relay"), ("magic-wormhole", "direct"),
                 ("wormhole-william", "relay"), ("wormhole-william", "direct")]
        for size in sizes:
            path, digest = self.make_data(size)
            results = {m: [] for m in modes}
            for rep in range(reps):
                for tool, mode in modes:
                    # Every run starts with no dirty pages left by the previous one (each writes the
                    # whole file), so no tool pays for another's disk writeback.
                    subprocess.run(["sync"], check=False)
                    r = self.transfer(tool, mode, path, digest, size)
                    if r is None:
                        continue
                    results[(tool, mode)].append(r)
                    mbps = size / r["wall_s"] / MB if r["wall_s"] else 0
                    log(f"{size_name(size)} rep {rep + 1}/{reps} {tool} {mode}: {r['wall_s'] or 0:.2f} s "
                        f"{mbps:.1f} MB/s path={r['path']} hash_ok={r['hash_ok']}"
                        + (f" ERROR {r['error']}" if r.get("error") else ""))
            if size == max(sizes):
                self.run_tcp_baseline(path, size, reps)
            os.remove(path)
            for (tool, mode), runs in results.items():
                if not runs:
                    continue
                ok_runs = [r for r in runs if not r.get("error")]
                wall = median([r["wall_s"] for r in ok_runs])
                paths = sorted({r["path"] for r in runs if r["path"]})
                self.transfers.append({
                    "tool": tool, "mode": mode, "size_bytes": size, "size": size_name(size),
                    "reps": len(runs), "ok_reps": len(ok_runs), "median_wall_s": wall,
                    "mb_per_s": size / wall / MB if wall else None,
                    "path_observed": "/".join(paths),
                    "sender_peak_rss_mib": max_mib([r["sender_rss_kib"] for r in runs]),
                    "receiver_peak_rss_mib": max_mib([r["receiver_rss_kib"] for r in runs]),
                    "relay_peak_rss_mib": max_mib([r.get("relay_rss_kib") for r in runs]),
                    "median_cpu_s": median([r["cpu_s"] for r in ok_runs]),
                    "hash_ok": all(r["hash_ok"] for r in runs), "runs": runs})
        self.add_ratios()

    def add_ratios(self):
        for row in self.transfers:
            same = [o for o in self.transfers if o["size_bytes"] == row["size_bytes"]]
            nc = next((o for o in same if o["tool"] == "nc"), None)
            others = [o["mb_per_s"] for o in same if o["tool"] not in ("nc", row["tool"]) and o["mode"] == row["mode"]
                      and o["mb_per_s"]]
            row["ratio_best_other"] = row["mb_per_s"] / max(others) if others and row["mb_per_s"] else None
            row["best_other_mb_per_s"] = max(others) if others else None
            row["ratio_nc"] = row["mb_per_s"] / nc["mb_per_s"] if nc and nc["mb_per_s"] and row["mb_per_s"] else None

    def run_latency(self, reps):
        variants = [("tallow", "default"), ("tallow", "relay (--no-p2p)"), ("magic-wormhole", "default"),
                    ("wormhole-william", "default")]
        results = {v: [] for v in variants}
        for rep in range(reps):
            for tool, mode in variants:
                if tool == "tallow":
                    code = self.next_code()
                    extra = ["--no-p2p"] if "no-p2p" in mode else []
                    run, r = run_pair(self.work, "text-" + tool,
                                      self.tallow + ["send", "--text", "hello", "--relay", self.relay_addr, "--code",
                                                     code, "--json"] + extra,
                                      self.tallow + ["receive", code, "--relay", self.relay_addr, "--yes",
                                                     "--json"] + extra,
                                      r'"event":"code"', 60, servers=[self.relay])
                elif tool == "magic-wormhole":
                    code = self.next_code("purple-sausages")
                    base = ["wormhole", "--relay-url", self.mailbox_url, "--transit-helper", self.transit]
                    run, r = run_pair(self.work, "text-" + tool,
                                      self.ns(base + ["send", "--text", "hello", "--code", code]),
                                      self.ns(base + ["receive", code]), r"Wormhole code is", 60,
                                      servers=[self.mailbox])
                else:
                    if not self.netns:
                        continue
                    code = self.next_code("purple-sausages")
                    base = ["wormhole-william", "--relay-url", self.mailbox_url]
                    run, r = run_pair(self.work, "text-" + tool,
                                      self.ns(base + ["send", "--text", "hello", "--code", code]),
                                      self.ns(base + ["receive", code]), r"Wormhole code is", 60,
                                      servers=[self.mailbox])
                r["text_ok"] = "hello" in run.output("receiver")
                if not r["text_ok"] and not r["error"]:
                    r["error"] = "receiver did not print the text"
                r.pop("server_rss_kib", None)
                results[(tool, mode)].append(r)
                log(f"--text rep {rep + 1}/{reps} {tool} {mode}: {r['wall_s'] or 0:.3f} s"
                    + (f" ERROR {r['error']}" if r["error"] else ""))
        for (tool, mode), runs in results.items():
            if not runs:
                continue
            walls = [r["wall_s"] for r in runs if not r["error"]]
            self.latency.append({"tool": tool, "mode": mode, "reps": len(runs), "ok_reps": len(walls),
                                 "median_s": median(walls), "min_s": min(walls) if walls else None,
                                 "max_s": max(walls) if walls else None,
                                 "sender_peak_rss_mib": max_mib([r["sender_rss_kib"] for r in runs]),
                                 "receiver_peak_rss_mib": max_mib([r["receiver_rss_kib"] for r in runs]),
                                 "text_ok": all(r["text_ok"] for r in runs), "runs": runs})

    def run_tcp_baseline(self, path, size, reps):
        """Loopback TCP alone: nc into /dev/null, so no file is written (context for the nc row, not a target)."""
        walls = []
        for _ in range(reps):
            subprocess.run(["sync"], check=False)
            wall, rc, listener_rc = nc_transfer(path, subprocess.DEVNULL, 60 + size / 3e6)
            if rc == 0 and listener_rc == 0:
                walls.append(wall)
        wall = median(walls)
        self.baselines["tcp_nc_devnull_size"] = size_name(size)
        self.baselines["tcp_nc_devnull_mb_per_s"] = size / wall / MB if wall else None
        log(f"nc to /dev/null, {size_name(size)}: {fmt(self.baselines['tcp_nc_devnull_mb_per_s'])} MB/s")

    def run_aes(self):
        out = subprocess.run(["openssl", "speed", "-evp", "aes-256-gcm", "-bytes", str(MiB), "-seconds", "3"],
                             capture_output=True, text=True, timeout=120).stdout
        m = re.search(r"^aes-256-gcm\s+([\d.]+)k\s*$", out, re.M | re.I)
        self.baselines["aes_256_gcm_openssl_mb_per_s"] = float(m.group(1)) * 1000 / MB if m else None
        self.baselines["aes_256_gcm_openssl_raw"] = out.strip().splitlines()[-1] if out.strip() else None
        log(f"openssl AES-256-GCM 1 MiB blocks, one core: {self.baselines['aes_256_gcm_openssl_mb_per_s']} MB/s")
        tool = os.path.join(self.root, "artifacts", "aes-gcm", "aes-gcm-speed")
        if os.access(tool, os.X_OK):
            out = subprocess.run([tool, "3", str(MiB)], capture_output=True, text=True, timeout=120).stdout
            m = re.search(r"aes-256-gcm-dotnet ([\d.]+)", out)
            self.baselines["aes_256_gcm_dotnet_mb_per_s"] = float(m.group(1)) if m else None
            log(f".NET AesGcm 1 MiB blocks, one core: {self.baselines['aes_256_gcm_dotnet_mb_per_s']} MB/s")

    def run_capacity(self, pairs, size):
        port, mport = free_port(), free_port()
        relay = self.server("tallow-relay-capacity", self.tallow + [
            "relay", "serve", "--bind", f"127.0.0.1:{port}", "--probe-port", "0", "--metrics", f"127.0.0.1:{mport}",
            "--rate-per-ip", "0", "--max-connections", "20000", "--max-rooms", "20000",
            "--max-connections-per-ip", "0", "--max-unpaired-per-ip", "0", "--json"], port,
            os.path.join(self.work, "relay-capacity.log"))
        tool = os.path.join(self.root, "artifacts", "relay-load", "relay-load")
        cmd = [tool, "load", "--relay", f"127.0.0.1:{port}", "--pid", str(relay.pid), "--metrics",
               f"127.0.0.1:{mport}", "--pairs", str(pairs), "--bytes", str(size), "--parallel", str(pairs),
               "--direction", "one"]
        log(f"relay capacity: {pairs} pairs x {size_name(size)} at once (relay-load)")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        out = p.stdout + p.stderr
        cap = {"pairs": pairs, "bytes_per_pair": size, "exit_code": p.returncode, "output": out.strip().splitlines()}
        m = re.search(r"transfer: (\d+) MiB through the relay in ([\d.]+) s = ([\d.]+) MiB/s", out)
        if m:
            cap["mib_moved"], cap["seconds"] = int(m.group(1)), float(m.group(2))
            cap["aggregate_mb_per_s"] = float(m.group(3)) * MiB / MB
        m = re.search(r"good pairs completed: (\d+)/(\d+)", out)
        cap["pairs_completed"] = int(m.group(1)) if m else 0
        cap["relay_peak_rss_mib"] = (proc_status_kib(relay.pid, "VmHWM") or 0) / 1024
        m = re.search(r"CPU ([\d.]+) s during the run", out)
        cap["relay_cpu_s"] = float(m.group(1)) if m else None
        relay.stop()
        self.servers.remove(relay)
        self.capacity = cap
        log(f"relay capacity: {cap.get('aggregate_mb_per_s', 0):.1f} MB/s aggregate, {cap['pairs_completed']}/{pairs} "
            f"pairs, relay peak RSS {cap['relay_peak_rss_mib']:.1f} MiB")


def max_mib(values):
    values = [v for v in values if v is not None]
    return max(values) / 1024 if values else None


def fmt(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def targets(b, size_for_targets):
    rows = {(t["tool"], t["mode"], t["size_bytes"]): t for t in b.transfers}
    out = []

    def add(name, met, detail):
        out.append({"target": name, "met": met, "detail": detail})

    size = size_for_targets
    tr = rows.get(("tallow", "relay", size))
    others = [rows[k]["mb_per_s"] for k in rows if k[1] == "relay" and k[2] == size
              and k[0] in ("magic-wormhole", "wormhole-william") and rows[k]["mb_per_s"]]
    if tr and tr["mb_per_s"] and others:
        ratio = tr["mb_per_s"] / max(others)
        add(f"Tallow relay >= 3x the faster wormhole (relay mode), {size_name(size)}", ratio >= 3,
            f"{tr['mb_per_s']:.1f} MB/s vs {max(others):.1f} MB/s = {ratio:.2f}x")
    else:
        add(f"Tallow relay >= 3x the faster wormhole (relay mode), {size_name(size)}", None, "not measured")
    td, nc = rows.get(("tallow", "direct", size)), rows.get(("nc", "loopback", size))
    if td and nc and td["mb_per_s"] and nc["mb_per_s"]:
        ratio = td["mb_per_s"] / nc["mb_per_s"]
        add(f"Tallow direct >= 80% of nc, {size_name(size)}", ratio >= 0.8,
            f"{td['mb_per_s']:.1f} MB/s vs nc {nc['mb_per_s']:.1f} MB/s = {ratio * 100:.0f}%")
    else:
        add(f"Tallow direct >= 80% of nc, {size_name(size)}", None, "not measured")
    lat = {(l["tool"], l["mode"]): l for l in b.latency}
    tl, ww = lat.get(("tallow", "default")), lat.get(("wormhole-william", "default"))
    if tl and ww and tl["median_s"] and ww["median_s"]:
        add("--text end to end <= 0.5x wormhole-william's", tl["median_s"] <= 0.5 * ww["median_s"],
            f"{tl['median_s']:.3f} s vs {ww['median_s']:.3f} s = {tl['median_s'] / ww['median_s']:.2f}x")
    else:
        add("--text end to end <= 0.5x wormhole-william's", None, "not measured")
    tallow_rows = [t for t in b.transfers if t["tool"] == "tallow"] + [l for l in b.latency if l["tool"] == "tallow"]
    for side in ("sender", "receiver"):
        vals = [t[f"{side}_peak_rss_mib"] for t in tallow_rows if t[f"{side}_peak_rss_mib"] is not None]
        if vals:
            add(f"Tallow {side} peak RSS < 40 MiB (all runs)", max(vals) < 40, f"max {max(vals):.1f} MiB")
    cap = b.capacity
    if cap:
        met = cap["relay_peak_rss_mib"] < 100 and cap["pairs_completed"] == cap["pairs"]
        add(f"relay < 100 MiB with {cap['pairs']} concurrent {size_name(cap['bytes_per_pair'])} transfers", met,
            f"peak RSS {cap['relay_peak_rss_mib']:.1f} MiB, {cap['pairs_completed']}/{cap['pairs']} completed, "
            f"{cap.get('aggregate_mb_per_s', 0):.1f} MB/s aggregate")
    return out


def print_report(b, target_rows):
    head = ["tool", "mode", "size", "path", "wall s", "MB/s", "x best other", "x nc", "snd RSS", "rcv RSS",
            "relay RSS", "CPU s", "hash ok"]
    rows = []
    for t in b.transfers:
        rows.append([t["tool"], t["mode"], t["size"], t["path_observed"] or "?", fmt(t["median_wall_s"], ".2f"),
                     fmt(t["mb_per_s"]), fmt(t["ratio_best_other"], ".2f"), fmt(t["ratio_nc"], ".2f"),
                     fmt(t["sender_peak_rss_mib"]), fmt(t["receiver_peak_rss_mib"]), fmt(t["relay_peak_rss_mib"]),
                     fmt(t["median_cpu_s"], ".2f"),
                     ("yes" if t["hash_ok"] else "NO") + f" {t['ok_reps']}/{t['reps']}"])
    tcp = b.baselines.get("tcp_nc_devnull_mb_per_s")
    if tcp:
        rows.append(["nc", "loopback into /dev/null", b.baselines["tcp_nc_devnull_size"], "direct", "-", fmt(tcp), "-",
                     "-", "-", "-", "-", "-", "-"])
    aes = b.baselines.get("aes_256_gcm_openssl_mb_per_s")
    if aes:
        rows.append(["openssl", "aes-256-gcm 1 core", "1 MiB blocks", "-", "-", fmt(aes), "-", "-", "-", "-", "-",
                     "-", "-"])
    aes = b.baselines.get("aes_256_gcm_dotnet_mb_per_s")
    if aes:
        rows.append([".NET AesGcm", "aes-256-gcm 1 core", "1 MiB blocks", "-", "-", fmt(aes), "-", "-", "-", "-", "-",
                     "-", "-"])
    for l in b.latency:
        rows.append([l["tool"], "--text " + l["mode"], "hello", "-", fmt(l["median_s"], ".3f"), "-", "-", "-",
                     fmt(l["sender_peak_rss_mib"]), fmt(l["receiver_peak_rss_mib"]), "-", "-",
                     ("yes" if l["text_ok"] else "NO") + f" {l['ok_reps']}/{l['reps']}"])
    cap = b.capacity
    if cap:
        rows.append(["tallow relay", f"{cap['pairs']} concurrent", size_name(cap["bytes_per_pair"]) + " each",
                     "relay", fmt(cap.get("seconds"), ".2f"), fmt(cap.get("aggregate_mb_per_s")), "-", "-", "-", "-",
                     fmt(cap["relay_peak_rss_mib"]), fmt(cap.get("relay_cpu_s"), ".2f"),
                     f"{cap['pairs_completed']}/{cap['pairs']} ok"])
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w) if i < 4 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    print()
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print()
    print("MB/s = 10^6 bytes per second of file data, from the median wall time (sender start until both processes "
          "exited); RSS = peak MiB (max over repetitions); CPU s = sender + receiver + servers (median); "
          "x best other = MB/s / fastest other tool in the same mode and size (nc excluded).")
    for t in target_rows:
        state = {True: "MET", False: "NOT MET", None: "n/a"}[t["met"]]
        print(f"target {state:8} {t['target']}: {t['detail']}")
    for n in b.notes:
        print("note: " + n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--quick", action="store_true", help="100 MiB only, 1 repetition")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per measurement (default 3, quick 1)")
    ap.add_argument("--sizes", default=None, help="comma-separated MiB, default 1024,100 (quick: 100)")
    ap.add_argument("--pairs", type=int, default=None, help="concurrent pairs for relay capacity (default 100)")
    ap.add_argument("--skip", default="", help="comma list of: transfers,latency,aes,capacity")
    ap.add_argument("--tmp", default=None, help="directory for the data files (default $TMPDIR or /tmp)")
    ap.add_argument("--json", default=None, help="output JSON (default bench/results/latest.json)")
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    sizes = [int(s) * MiB for s in (args.sizes or ("100" if args.quick else "1024,100")).split(",")]
    pairs = args.pairs or 100
    skip = set(filter(None, args.skip.split(",")))
    json_path = args.json or os.path.join(args.root, "bench", "results", "latest.json")

    b = Bench(args)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    started = datetime.datetime.now(datetime.timezone.utc)
    try:
        b.start_servers()
        if "aes" not in skip:
            b.run_aes()
        if "transfers" not in skip:
            b.run_transfers(sizes, reps)
        if "latency" not in skip:
            b.run_latency(max(reps, 5))
        if "capacity" not in skip:
            b.run_capacity(pairs, 10 * MiB)
    finally:
        b.stop_all()
    target_rows = targets(b, max(sizes))
    print_report(b, target_rows)

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None

    report = {
        "started_utc": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release(), "loadavg_at_end": os.getloadavg()},
        "options": {"reps": reps, "sizes_bytes": sizes, "quick": args.quick, "pairs": pairs},
        "versions": {"tallow": version([os.path.join(args.root, "tallow"), "version"]),
                     "magic-wormhole": version(["wormhole", "--version"]),
                     "wormhole-william": version(["wormhole-william", "--version"]),
                     "openssl": version(["openssl", "version"])},
        "git_commit": version(["git", "-C", args.root, "rev-parse", "HEAD"]),
        "transfers": b.transfers, "latency": b.latency, "baselines": b.baselines, "capacity": b.capacity,
        "targets": target_rows, "notes": b.notes,
    }
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"\nJSON: {json_path}")
    bad = [t for t in b.transfers if not t["hash_ok"]] + [l for l in b.latency if not l["text_ok"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
