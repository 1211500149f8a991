#!/usr/bin/env python3
"""Chat room latency and CPU per message (issue 16), with real processes on loopback.

Starts `tallow relay serve`, opens a room with `tallow chat --multi --json` and lets MEMBERS-1
others join. Then one member sends MESSAGES messages at RATE per second; the driver notes when
it wrote each line to the sender's stdin and when each other member printed it (its `message`
event on stdout), giving the end-to-end latency per delivery (type -> n-1 seals -> relay -> open ->
printed). CPU: utime+stime from /proc of every tallow process (members and relay) across the
burst, divided by the messages sent (CPU per message for the whole room) and by the deliveries.
A second pass lets every member send at once (RATE each) to show the room under load.

  bench/chat-room/run.py [--members 10] [--messages 200] [--rate 20]
"""
import argparse, json, os, queue, random, socket, statistics, subprocess, sys, threading, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "artifacts", "tallow", "tallow")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class Member:
    def __init__(self, args, name):
        self.name = name
        env = dict(os.environ, TALLOW_NO_HISTORY="1")
        self.proc = subprocess.Popen([BIN] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
        self.events = queue.Queue()
        self.arrivals = {}  # text -> monotonic time printed
        self.joined = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("event")
            if kind == "message":
                self.arrivals[event["text"]] = now
            elif kind == "peer_joined":
                self.joined += 1
            self.events.put(event)

    def wait_event(self, name, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if event.get("event") == name:
                return event
        raise SystemExit(f"{self.name}: no {name} event within {timeout} s")

    def say(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return time.monotonic()

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_until(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def burst(members, senders, messages, rate, tag):
    pids = [m.proc.pid for m in members] + [RELAY.pid]
    before = sum(cpu_seconds(p) for p in pids)
    start = time.monotonic()
    sent = {}  # text -> (sender, time written)
    for n in range(messages):
        for s in senders:
            text = f"{tag} {s.name} {n}"
            sent[text] = (s, s.say(text))
        time.sleep(max(0.0, start + (n + 1) / rate - time.monotonic()))
    expected = sum(len(members) - 1 for _ in sent)
    wait_until(lambda: sum(1 for t in sent for m in members if m is not sent[t][0] and t in m.arrivals) >= expected,
               f"{expected} deliveries")
    elapsed = time.monotonic() - start
    cpu = sum(cpu_seconds(p) for p in pids) - before
    latencies = [(m.arrivals[t] - at) * 1000 for t, (s, at) in sent.items() for m in members if m is not s]
    return {
        "messages": len(sent), "deliveries": len(latencies), "seconds": elapsed,
        "p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 99), "max_ms": max(latencies),
        "cpu_ms_per_message": cpu * 1000 / len(sent), "cpu_ms_per_delivery": cpu * 1000 / len(latencies),
    }


def main():
    global RELAY
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20)
    a = parser.parse_args()
    subprocess.run([os.path.join(ROOT, "tallow"), "version"], check=True, stdout=subprocess.DEVNULL)  # publishes when stale
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    RELAY = subprocess.Popen([BIN, "relay", "serve", "--bind", f"127.0.0.1:{port}", "--probe-port", "0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    members = []
    try:
        time.sleep(1)
        relay = f"127.0.0.1:{port}"
        first = Member(["chat", "--multi", "--json", "--capacity", str(max(3, a.members)), "--name", "m0", "--relay", relay], "m0")
        members.append(first)
        code = first.wait_event("code")["code"]
        join_start = time.monotonic()
        for i in range(1, a.members):
            members.append(Member(["chat", code, "--json", "--name", f"m{i}", "--relay", relay], f"m{i}"))
        wait_until(lambda: all(m.joined >= a.members - 1 for m in members), "every member to see every other")
        print(f"{a.members} members: all joined and paired {time.monotonic() - join_start:.2f} s after the first joiner started "
              f"({a.members * (a.members - 1) // 2} pair handshakes)")
        pids = [m.proc.pid for m in members] + [RELAY.pid]
        before = sum(cpu_seconds(p) for p in pids)
        time.sleep(5)
        idle = (sum(cpu_seconds(p) for p in pids) - before) / 5
        print(f"idle room: {idle * 1000:.0f} ms of CPU per second for all {len(pids)} processes (keep-alives, timers)")
        one = burst(members, [members[1]], a.messages, a.rate, "one")
        print(f"one sender, {one['messages']} messages at {a.rate:g}/s -> {one['deliveries']} deliveries: latency p50 {one['p50_ms']:.1f} ms, "
              f"p99 {one['p99_ms']:.1f} ms, max {one['max_ms']:.1f} ms; CPU {one['cpu_ms_per_message']:.2f} ms per message "
              f"({one['cpu_ms_per_delivery']:.3f} ms per delivery), all processes incl. the relay")
        every = burst(members, members, max(1, a.messages // a.members), a.rate, "all")
        print(f"all {a.members} send at once, {every['messages']} messages -> {every['deliveries']} deliveries: latency p50 {every['p50_ms']:.1f} ms, "
              f"p99 {every['p99_ms']:.1f} ms, max {every['max_ms']:.1f} ms; CPU {every['cpu_ms_per_message']:.2f} ms per message")
    finally:
        for m in members:
            m.close()
        RELAY.terminate()
        RELAY.wait(timeout=10)


if __name__ == "__main__":
    main()
