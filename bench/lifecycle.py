#!/usr/bin/env python3
"""Lifecycle latency of routed-hook against the talk's shell way and against its own floor.

Each hook call is a separate process, as libvirt runs them. Everything happens in throwaway network
namespaces (dummy uplinks, a Linux bridge); nothing touches the root namespace. Prints one table and
appends it, with machine info, to bench/RESULTS.md.

usage: sudo bench/lifecycle.py [--runs 50] [--sizes 10,1000,4000] [--reference-sizes 10,1000]
"""
import argparse, ctypes, datetime, os, platform, random, subprocess, sys, tempfile, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOK = os.path.join(ROOT, ".build", "release", "routed-hook")
REFERENCE = os.path.join(ROOT, "bench", "reference-hook.sh")
LIFECYCLE = [("prepare", "begin", "-"), ("start", "begin", "-"), ("started", "begin", "-"),
             ("stopped", "end", "-"), ("release", "end", "destroyed")]

CONFIG = """routeProtocol: 151
guestNetworks:
  - name: guests
    bridge: br-ex
    gateway: 10.136.255.254/16
    mtu: 57344
    uplinks: [production, hipersockets, intranet]
uplinks:
  - name: production
    interface: osa10
    mode: proxy-arp
  - name: hipersockets
    interface: hsi0
    mode: routed
    peers:
      - { subnet: 10.137.12.0/24, via: 172.31.56.2 }
  - name: intranet
    interface: osa172
    mode: nat
"""


def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def address(i):
    return f"10.136.{i // 250}.{i % 250 + 1}"


def mac(i):
    return "52:54:00:%02x:%02x:%02x" % ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)


def domain_xml(i, bridge="br-ex"):
    # An unmanaged domain (on another bridge) carries no routed-hook metadata, as on a real host.
    metadata = "" if bridge != "br-ex" else (
        f'<metadata><rh:guest xmlns:rh="urn:routed-hook:1"><rh:interface mac="{mac(i)}" address="{address(i)}"/>'
        '</rh:guest></metadata>')
    return f"""<domain type='kvm'><name>g{i}</name><uuid>{uuid.UUID(int=i + 1)}</uuid>
{metadata}
<devices><interface type='bridge'><mac address='{mac(i)}'/><source bridge='{bridge}'/><virtualport type='openvswitch'/>
<target dev='vnet{i}'/><model type='virtio'/><alias name='net0'/></interface></devices></domain>"""


class Host:
    """A namespace shaped like the talk's LPAR: br-ex with no port, dummy uplinks with the talk's addresses."""

    def __init__(self, tag):
        self.ns = f"rhb-{tag}-{os.getpid()}"
        # State lives on a tmpfs, as /run/routed-hook does on a real host (Debian mounts /run as tmpfs). This
        # machine's /run is its ext4 root, where creating a record or an address link in a directory of
        # thousands costs up to 0.8 ms and an fsync 0.5 ms; /dev/shm is a tmpfs everywhere.
        self.dir = tempfile.mkdtemp(prefix="rhb-", dir="/dev/shm")
        self.config = os.path.join(self.dir, "routed-hook.yaml")
        self.state = os.path.join(self.dir, "state")
        with open(self.config, "w") as f:
            f.write(CONFIG)
        os.makedirs(os.path.join(self.dir, "qemu.d"))
        self.hook = os.path.join(self.dir, "qemu.d", "routed-hook")
        os.symlink(HOOK, self.hook)
        sh("ip", "netns", "add", self.ns)
        try:
            # Uplinks are veth pairs whose far ends stay unused in the same namespace (no dummy module here).
            commands = [["link", "add", "br-ex", "type", "bridge"], ["link", "set", "br-ex", "up"]]
            for name, addr in (("osa10", "10.131.11.254/8"), ("hsi0", "172.31.56.1/24"), ("osa172", "172.18.0.11/15")):
                commands += [["link", "add", name, "type", "veth", "peer", f"{name}-far"],
                             ["address", "add", addr, "dev", name], ["link", "set", name, "up"],
                             ["link", "set", f"{name}-far", "up"]]
            for cmd in commands:
                sh("ip", "-n", self.ns, *cmd)
        except Exception:
            self.destroy()
            raise

    def destroy(self):
        sh("ip", "netns", "del", self.ns, check=False)
        subprocess.run(["rm", "-rf", self.dir])

    def env(self):
        return {"ROUTED_HOOK_CONFIG": self.config, "ROUTED_HOOK_STATE_DIR": self.state, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def spawn_timed(argv, stdin_path, env, netns_fd):
    """Runs argv in the namespace (setns done once in this process) and returns wall nanoseconds."""
    fd = os.open(stdin_path, os.O_RDONLY) if stdin_path else os.open(os.devnull, os.O_RDONLY)
    null = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, fd, 0), (os.POSIX_SPAWN_DUP2, null, 1)])
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter_ns() - start
    os.close(fd)
    os.close(null)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed


class Namespace:
    """Enters a network namespace for this process; children inherit it, as under `ip netns exec`."""

    def __init__(self, name):
        self.target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)

    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNET = 0x40000000

    def enter(self, fd):
        if self.libc.setns(fd, self.CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")

    def __enter__(self):
        self.enter(self.target)
        return self

    def __exit__(self, *exc):
        self.enter(self.home)


def xml_file(directory, i, bridge="br-ex"):
    path = os.path.join(directory, f"g{i}.xml")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(domain_xml(i, bridge))
    return path


def populate(host, count, start, tool):
    """Applies guests start..count-1 as `started` calls."""
    for i in range(start, count):
        argv, env = tool(host, i, "started", "begin", "-")
        spawn_timed(argv, xml_file(host.dir, i), env, None)


def routed(host, i, op, sub, extra):
    # Named as libvirt runs it (hooks/qemu.d/routed-hook), so the kind comes from argv[0].
    return [host.hook, f"g{i}", op, sub, extra], host.env()


def reference(host, i, op, sub, extra):
    env = host.env()
    env["REF_GUEST_ADDRESS"] = address(i)
    return ["/bin/sh", REFERENCE, f"g{i}", op, sub, extra], env


def idle():
    """A random idle gap (4-12 ms, not timed) before each deleting call: `stopped` and the floor's `nft delete`.

    A deleting transaction waits for an RCU grace period, and grace periods here run back to back in steps of
    two 4 ms ticks while processes exit. Called in a fixed order with no gap, each deleting call lands at a fixed
    phase of that cycle, and the two land at different phases: traced, `stopped` waited about 12.5 ms and the
    floor's delete about 9.5 ms for the same one-grace-period transaction. With an idle gap of random length
    both start from an idle machine at a random phase, and cost the same; on a real host a guest runs between
    `started` and `stopped`, so `stopped` never follows the previous call by a few milliseconds either.
    """
    time.sleep(random.uniform(0.004, 0.012))


def lifecycles(host, tool, runs, guest, floor=None):
    """Runs `runs` lifecycles; with `floor` (a static binary), measures the floor between them.

    The floor's deleting transaction waits for an RCU grace period, whose length drifts with what the
    machine does (10-17 ms here), so it is sampled right after each lifecycle, not once per run.
    """
    per_call = {op: [] for op, _, _ in LIFECYCLE}
    totals, floors = [], []
    path = xml_file(host.dir, guest)
    for k in range(runs):
        total = 0
        for op, sub, extra in LIFECYCLE:
            argv, env = tool(host, guest, op, sub, extra)
            if op == "stopped":
                idle()
            t = spawn_timed(argv, path, env, None)
            per_call[op].append(t)
            total += t
        totals.append(total)
        if floor:
            starts = sum(spawn_timed([floor], None, host.env(), None) for _ in range(5))
            element = f"{{ 10.136.250.{k % 250 + 1} . \"osa10\" }}"
            add = spawn_timed(["/usr/sbin/nft", f"add element inet routed_hook egress {element}"], None, host.env(), None)
            idle()
            delete = spawn_timed(["/usr/sbin/nft", f"delete element inet routed_hook egress {element}"], None, host.env(), None)
            floors.append(starts + max(0, delete - add))
    return totals, per_call, floors


def pct(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def ms(ns):
    return f"{ns / 1e6:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--sizes", default="10,1000,4000")
    parser.add_argument("--reference-sizes", default="10,1000")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/lifecycle.py: run as root (it builds network namespaces)")
    if not os.access(HOOK, os.X_OK):
        sys.exit(f"bench/lifecycle.py: no release build at {HOOK} (swift build -c release --static-swift-stdlib)")
    sizes = [int(s) for s in args.sizes.split(",")]
    ref_sizes = [int(s) for s in args.reference_sizes.split(",")]

    scratch = tempfile.TemporaryDirectory(prefix="rhb-trivial-")
    trivial = os.path.join(scratch.name, "trivial")
    sh("swiftc", "-O", "-static-stdlib", os.path.join(ROOT, "bench", "trivial.swift"), "-o", trivial)

    rows = []
    results = {}
    guest = 9999  # the measured guest, never among the pre-applied ones
    for name, tool, wanted in (("routed-hook", routed, sizes), ("shell reference", reference, ref_sizes)):
        host = Host(name.split()[0][:6])
        try:
            with Namespace(host.ns):
                have = 0
                for size in wanted:
                    print(f"  {name}: applying {size} guests …", file=sys.stderr, flush=True)
                    populate(host, size, have, tool)
                    have = size
                    print(f"  {name}: {args.runs} lifecycles at {size} guests …", file=sys.stderr, flush=True)
                    # The floor (five static binary starts and one deleting nft transaction) is sampled
                    # between routed-hook's lifecycles; it needs routed-hook's set to delete from.
                    totals, per_call, floors = lifecycles(
                        host, tool, args.runs, guest, floor=trivial if name == "routed-hook" else None)
                    results[(name, size)] = totals
                    if floors:
                        results[("floor", size)] = floors
                    rows.append((name, size, pct(totals, 50), pct(totals, 95),
                                 " ".join(f"{op}={ms(pct(v, 50))}" for op, v in per_call.items())
                                 + (f"; floor {ms(pct(floors, 50))}" if floors else "")))
                if name == "routed-hook":
                    # Unmanaged calls alternate with static binary starts, so both see the same machine.
                    unmanaged_path = xml_file(host.dir, 7777, bridge="virbr0")
                    trivial_runs, unmanaged = [], []
                    for _ in range(args.runs * 4):
                        trivial_runs.append(spawn_timed([trivial], None, host.env(), None))
                        unmanaged.append(spawn_timed([host.hook, "other", "started", "begin", "-"], unmanaged_path, host.env(), None))
                    results["trivial"] = trivial_runs
                    results["unmanaged"] = unmanaged
        finally:
            host.destroy()

    t50 = pct(results["trivial"], 50)
    lines = ["| tool | other guests | lifecycle p50 ms | p95 ms | per call p50 ms |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {s} | {ms(a)} | {ms(b)} | {c} |" for n, s, a, b, c in rows]
    lines.append("")
    lines.append("- floor, per row: 5 × static binary start + one deleting nft transaction (nft delete − nft add), "
                 "sampled after each lifecycle; a random idle 4-12 ms (untimed) before `stopped` and before the floor's delete")
    lines.append(f"- unmanaged domain, one hook call: p50 {ms(pct(results['unmanaged'], 50))} ms vs static binary start {ms(t50)} ms")
    checks = []
    r = lambda n, s: pct(results[(n, s)], 50)
    if ("shell reference", 1000) in results and ("routed-hook", 1000) in results:
        ratio = r("shell reference", 1000) / r("routed-hook", 1000)
        checks.append((f"at 1,000 guests routed-hook is {ratio:.1f}× faster than the shell reference (target ≥ 10×)", ratio >= 10))
    if ("routed-hook", 4000) in results and ("routed-hook", 10) in results:
        ratio = r("routed-hook", 4000) / r("routed-hook", 10)
        checks.append((f"cost at 4,000 guests is {ratio:.2f}× the cost at 10 (target ≤ 1.3×)", ratio <= 1.3))
    worst = max(r("routed-hook", s) / pct(results[("floor", s)], 50) for s in sizes)
    checks.append((f"lifecycle p50 is {worst:.2f}× its floor at worst (target ≤ 1.5×)", worst <= 1.5))
    ratio = pct(results["unmanaged"], 50) / t50
    checks.append((f"unmanaged hook call is {ratio:.2f}× a static binary start (target ≤ 1.5×)", ratio <= 1.5))
    lines += [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in checks]
    table = "\n".join(lines)
    print(table)
    if not args.no_record:
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
        swift = sh("swift", "--version").stdout.splitlines()[0]
        header = (f"\n## Lifecycle latency, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC\n\n"
                  f"Machine: {os.cpu_count()} cores, {cpu}, kernel {platform.release()}, {swift}. "
                  f"{args.runs} lifecycles per row, each hook call a separate process.\n\n")
        with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
            f.write(header + table + "\n")


if __name__ == "__main__":
    main()
