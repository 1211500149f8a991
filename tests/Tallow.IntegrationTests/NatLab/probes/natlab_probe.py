#!/usr/bin/env python3
"""NAT lab validation probe (not used by the C# tests).

Builds the same topologies as NatLab/Topology.cs (same addresses, same iptables rules) with
network namespaces, then runs a python stand-in for the product's hole punch inside them:

  * a rendezvous "relay" (TCP 4433) in the relay namespace reports each peer's observed
    address to the other one, plus a probe port (4434) that only reports the observed address;
  * each peer binds ONE port P (SO_REUSEADDR + SO_REUSEPORT), listens on it, connects to the
    relay and to the probe port from it (mapping known, symmetric NAT detectable), and then
    dials the peer's observed endpoint from P: IP_TTL=2 before a non-blocking connect(),
    TTL 64 restored 50 ms later while the connect is pending, so the first SYN opens the own
    NAT mapping and expires at the router, and the kernel's retransmission ~1 s later completes
    the simultaneous open.

Usage (root):  python3 natlab_probe.py [topology ...] [--keep] [--no-icmp-retry] [--ttl N]
Topologies: lan nat2-rst nat2-drop nat1 sym1 sym2 firewall (default: all).
Prints one JSON line per peer and one summary line per topology.
"""
import argparse
import errno
import json
import os
import random
import select
import socket
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)
RELAY_PORT = 4433
PROBE_PORT = 4434
PEER_PORT = 40000
QUIET_ROUTER = False


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} -> {r.returncode}: {r.stderr.strip()}")
    return r.stdout


class Lab:
    def __init__(self):
        self.prefix = "tlp" + "%04x" % random.randrange(0x10000)
        self.namespaces = []

    def ns(self, role):
        name = f"{self.prefix}{role}"
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def ex(self, ns, *args, check=True):
        return sh("ip", "netns", "exec", ns, *args, check=check)

    def link(self, ns1, if1, addr1, ns2, if2, addr2):
        sh("ip", "-n", ns1, "link", "add", if1, "type", "veth", "peer", "name", if2, "netns", ns2)
        for ns, ifn, addr in ((ns1, if1, addr1), (ns2, if2, addr2)):
            if addr:
                sh("ip", "-n", ns, "addr", "add", addr, "dev", ifn)
            sh("ip", "-n", ns, "link", "set", ifn, "up")

    def route_default(self, ns, via):
        sh("ip", "-n", ns, "route", "add", "default", "via", via)

    def forward(self, ns):
        self.ex(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")

    def ipt(self, ns, *rule):
        self.ex(ns, "iptables", *rule)

    def close(self):
        for name in reversed(self.namespaces):
            sh("ip", "netns", "pids", name, check=False)
            for pid in sh("ip", "netns", "pids", name, check=False).split():
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            sh("ip", "netns", "del", name, check=False)


def build(lab, topology):
    """Returns (relay_ns, relay_ip, peer_a_ns, peer_b_ns) for a topology."""
    if topology == "lan":
        sw = lab.ns("sw")
        sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", sw, "link", "set", "br0", "up")
        peers = {}
        for role, addr in (("rl", "10.0.0.10/24"), ("a", "10.0.0.2/24"), ("b", "10.0.0.3/24")):
            n = lab.ns(role)
            lab.link(n, "eth0", addr, sw, "p" + role, None)
            sh("ip", "-n", sw, "link", "set", "p" + role, "master", "br0")
            peers[role] = n
        return peers["rl"], "10.0.0.10", peers["a"], peers["b"]

    rt = lab.ns("rt")
    lab.forward(rt)
    rl = lab.ns("rl")
    lab.link(rl, "eth0", "203.0.113.10/24", rt, "rrl", "203.0.113.1/24")
    lab.route_default(rl, "203.0.113.1")

    def natted(side, wan_net, gw, lan_net, nat):
        box = lab.ns("n" + side)
        peer = lab.ns(side)
        lab.forward(box)
        lab.link(box, "wan", wan_net, rt, "r" + side, gw + "/28")
        lab.route_default(box, gw)
        lab.link(peer, "eth0", lan_net + ".2/24", box, "lan", lan_net + ".1/24")
        lab.route_default(peer, lan_net + ".1")
        if nat == "symmetric":
            lab.ipt(box, "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE", "--random-fully")
        else:
            lab.ipt(box, "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE")
        if nat == "drop":
            lab.ipt(box, "-A", "INPUT", "-i", "wan", "-p", "tcp", "--syn", "-j", "DROP")
            lab.ipt(box, "-A", "FORWARD", "-i", "wan", "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "DROP")
        return peer

    def public(side, wan_net, gw):
        peer = lab.ns(side)
        lab.link(peer, "eth0", wan_net, rt, "r" + side, gw + "/28")
        lab.route_default(peer, gw)
        return peer

    kinds = {
        "nat2-rst": ("rst", "rst"), "nat2-drop": ("drop", "drop"), "nat1": ("rst", None),
        "sym1": ("symmetric", "rst"), "sym2": ("symmetric", "symmetric"), "firewall": ("rst", "rst"),
    }[topology]
    a = natted("a", "198.51.100.2/28", "198.51.100.1", "10.0.1", kinds[0])
    b = natted("b", "198.51.100.18/28", "198.51.100.17", "10.0.2", kinds[1]) if kinds[1] else public("b", "198.51.100.18/28", "198.51.100.17")
    if QUIET_ROUTER:
        # a router that expires packets without telling the sender (ICMP Time Exceeded filtered)
        lab.ipt(rt, "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "time-exceeded", "-j", "DROP")
    if topology == "firewall":
        lab.ipt(rt, "-A", "FORWARD", "-s", "198.51.100.2", "-d", "198.51.100.18", "-j", "DROP")
        lab.ipt(rt, "-A", "FORWARD", "-s", "198.51.100.18", "-d", "198.51.100.2", "-j", "DROP")
    return rl, "203.0.113.10", a, b


# ---------------------------------------------------------------- inside namespaces

def rendezvous():
    """Relay stand-in: pairs two peers, tells each the other's observed address; probe port echoes.

    A peer connects to the relay port, connects to the probe port from the same local port, then
    writes one line on the relay connection; when both peers did, both get "mine theirs\n" at once
    (like the product, which exchanges candidates over the relay and then dials at the same time).
    """
    main = socket.create_server(("0.0.0.0", RELAY_PORT), reuse_port=True)
    probe = socket.create_server(("0.0.0.0", PROBE_PORT), reuse_port=True)
    clients = {}
    ready = []
    print("ready", flush=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        r, _, _ = select.select([main, probe, *clients], [], [], 1)
        for s in r:
            if s is probe:
                c, addr = s.accept()
                c.sendall(f"{addr[0]}:{addr[1]}\n".encode())
                c.close()
            elif s is main:
                c, addr = s.accept()
                clients[c] = addr
            else:
                if s.recv(100) and s not in ready:
                    ready.append(s)
                if len(ready) == 2:
                    (c1, c2) = ready
                    a1, a2 = clients[c1], clients[c2]
                    c1.sendall(f"{a1[0]}:{a1[1]} {a2[0]}:{a2[1]}\n".encode())
                    c2.sendall(f"{a2[0]}:{a2[1]} {a1[0]}:{a1[1]}\n".encode())
                    time.sleep(20)  # keep the relay connections open (like the product)
                    return


def bound(local):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(local)
    return s


def readline(s, timeout=20):
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def parse(ep):
    h, p = ep.rsplit(":", 1)
    return h, int(p)


def peer(args):
    local = (args.bind, PEER_PORT)
    result = {"ns": os.environ.get("NS", "?"), "local": f"{local[0]}:{local[1]}"}
    listener = bound(local)
    listener.listen(8)
    listener.setblocking(False)
    relay = bound(local)
    relay.connect((args.relay, RELAY_PORT))
    # probe before the pairing answer (the pairing answer is what starts the dial on both sides)
    probe = bound(local)
    probe.connect((args.relay, PROBE_PORT))
    probe_seen = readline(probe)
    probe.close()
    relay.sendall(b"ready\n")
    mine, theirs = readline(relay).split()
    result.update(observed=mine, probe_observed=probe_seen, peer=theirs,
                  symmetric=(mine != probe_seen))
    target = parse(theirs)
    t0 = time.monotonic()
    events = []
    deadline = t0 + args.timeout
    conn = None
    attempt = 0
    ttl = args.ttl
    while conn is None and time.monotonic() < deadline:
        attempt += 1
        dial = bound(local)
        dial.setblocking(False)
        dial.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        err = dial.connect_ex(target)
        pending = err in (0, errno.EINPROGRESS)
        events.append((round(time.monotonic() - t0, 3), f"connect#{attempt} ttl {ttl} -> {os.strerror(err) if err else 'ok'}"))
        if not pending:
            dial.close()  # e.g. EADDRNOTAVAIL: the peer's SYN already reached our listener with this 4-tuple
        restore_at = time.monotonic() + 0.05
        next_retry = t0 + attempt * 1.0
        while conn is None and time.monotonic() < deadline and (pending or time.monotonic() < next_retry):
            if pending and ttl != 64 and time.monotonic() >= restore_at:
                dial.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
                ttl = 64
            r, w, _ = select.select([listener], [dial] if pending else [], [], 0.01)
            if listener in r:
                try:
                    c, a = listener.accept()
                    conn, how = c, f"accepted from {a[0]}:{a[1]}"
                except BlockingIOError:
                    pass
            elif pending and dial in w:
                e = dial.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e == 0:
                    conn, how = dial, "connected"
                    pending = False
                else:
                    events.append((round(time.monotonic() - t0, 3), f"connect#{attempt} failed: {os.strerror(e)}"))
                    pending = False
                    dial.close()
                    if not args.icmp_retry:
                        deadline = 0
                    ttl = 64  # the low-TTL SYN did its job (mapping opened); redial at full TTL
        if pending and conn is not dial:
            dial.close()
    if conn is None:
        result.update(ok=False, seconds=round(time.monotonic() - t0, 3), events=events)
    else:
        conn.setblocking(True)
        conn.settimeout(5)
        try:
            conn.sendall(f"hello from {args.bind}\n".encode())
            got = readline(conn, 5)
            result.update(ok=True, seconds=round(time.monotonic() - t0, 3), how=how,
                          remote="%s:%d" % conn.getpeername(), got=got, events=events)
        except OSError as e:
            result.update(ok=False, seconds=round(time.monotonic() - t0, 3), how=how, error=str(e), events=events)
    print(json.dumps(result), flush=True)
    time.sleep(0.5)


def run(topology, opts):
    lab = Lab()
    try:
        rl, relay_ip, a, b = build(lab, topology)
        rv = subprocess.Popen(["ip", "netns", "exec", rl, sys.executable, HERE, "--role", "rendezvous"], stdout=subprocess.PIPE, text=True)
        assert rv.stdout.readline().strip() == "ready"
        addr = {a: "10.0.0.2" if topology == "lan" else "10.0.1.2",
                b: "10.0.0.3" if topology == "lan" else ("198.51.100.18" if topology == "nat1" else "10.0.2.2")}
        boxes = [n for n in lab.namespaces if n[len(lab.prefix):] in ("na", "nb", "rt")]
        if opts.diag:
            for n in boxes:
                lab.ipt(n, "-t", "mangle", "-A", "PREROUTING", "-m", "conntrack", "--ctstate", "INVALID", "-j", "ACCEPT")
                lab.ipt(n, "-t", "mangle", "-A", "PREROUTING", "-p", "icmp", "-j", "ACCEPT")
                lab.ipt(n, "-A", "OUTPUT", "-p", "tcp", "--tcp-flags", "RST", "RST", "-j", "ACCEPT")
                lab.ipt(n, "-A", "OUTPUT", "-p", "icmp", "-j", "ACCEPT")
        procs = []
        for n in (a, b):
            cmd = ["ip", "netns", "exec", n, "env", f"NS={n[-1]}", sys.executable, HERE, "--role", "peer", "--bind", addr[n],
                   "--relay", relay_ip, "--ttl", str(opts.ttl), "--timeout", str(opts.timeout)]
            if not opts.icmp_retry:
                cmd.append("--no-icmp-retry")
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        outs = [json.loads(p.communicate(timeout=opts.timeout + 30)[0].strip().splitlines()[-1]) for p in procs]
        rv.kill()
        if opts.diag:
            for n in boxes:
                print(f"--- {n}")
                print(lab.ex(n, "iptables", "-t", "mangle", "-L", "PREROUTING", "-v", "-n"))
                print(lab.ex(n, "iptables", "-L", "OUTPUT", "-v", "-n"))
                print(lab.ex(n, "cat", "/proc/net/nf_conntrack"))
        for o in outs:
            print(json.dumps(o))
        summary = " | ".join(f"{o['ns']}: {'DIRECT' if o['ok'] else 'FAILED'} {o['seconds']:.3f}s sym={o['symmetric']}" for o in outs)
        print(f"== {topology:9} {summary}", flush=True)
        if opts.keep:
            input(f"namespaces {lab.prefix}* kept; press enter to delete")
    finally:
        lab.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("topologies", nargs="*")
    ap.add_argument("--role", default="driver")
    ap.add_argument("--bind")
    ap.add_argument("--relay")
    ap.add_argument("--ttl", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--no-icmp-retry", dest="icmp_retry", action="store_false")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--diag", action="store_true", help="count INVALID packets, RSTs and ICMP in the NAT boxes and dump their conntrack tables")
    ap.add_argument("--quiet-router", action="store_true", help="the router sends no ICMP Time Exceeded")
    args = ap.parse_args()
    global QUIET_ROUTER
    QUIET_ROUTER = args.quiet_router
    if args.role == "rendezvous":
        return rendezvous()
    if args.role == "peer":
        return peer(args)
    for t in args.topologies or ["lan", "nat2-rst", "nat2-drop", "nat1", "sym1", "sym2", "firewall"]:
        run(t, args)


if __name__ == "__main__":
    main()
