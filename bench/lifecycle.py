#!/usr/bin/env python3
"""Lifecycle latency of routed-hook against the talk's shell way and against its own floor.

Each hook call is a separate process, as libvirt runs them. Everything happens in throwaway network
namespaces (dummy uplinks, a Linux bridge); nothing touches the root namespace. Prints one table and
appends it, with machine info, to bench/RESULTS.md.

Each call is timed the way libvirt waits for a hook (virCommandRun): until its stdout and stderr pipes reach
EOF and the process has exited. With --baseline PATH a second routed-hook binary (e.g. main's before a change)
runs in the same namespaces, lifecycle by lifecycle alternating with this tree's, so both see the same machine.

With --dual-stack N (default 1000) a second host runs the same lifecycle for a dual-stack guest (IPv4 and
IPv6 address, gateway6 on its network, an IPv6 peer and IPv6 addresses on the uplinks) next to N other
dual-stack guests, alternating lifecycle by lifecycle with the IPv4-only guest of the first host at N guests:
the ratio of the two is issue 15's target (≤ 1.1×).

Also measured (issue 18, the stop's grace period): the adding floor (five static binary starts plus one adding
nftables commit), a `started` issued right after another guest's `stopped` returned and one issued alongside
it, each against a `started` on a quiet machine, and a burst of 64 concurrent `stopped` calls.

usage: sudo bench/lifecycle.py [--runs 50] [--sizes 10,1000,4000] [--reference-sizes 10,1000] [--hook PATH] [--baseline PATH]
                              [--dual-stack 1000]
"""
import argparse, ctypes, datetime, glob, os, platform, random, select, socket, struct, subprocess, sys, tempfile, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOK = os.path.join(ROOT, ".build", "release", "routed-hook")
BASELINE = None  # --baseline: another routed-hook binary, timed alongside
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

# The same host with both families: gateway6 a /112 of the production /64, an IPv6 peer over HiperSockets.
DUAL_CONFIG = (CONFIG.replace("    gateway: 10.136.255.254/16\n",
                              "    gateway: 10.136.255.254/16\n    gateway6: \"fd00:10::136:0:fffe/112\"\n")
               .replace("      - { subnet: 10.137.12.0/24, via: 172.31.56.2 }",
                        "      - { subnet: 10.137.12.0/24, via: 172.31.56.2, subnet6: \"fd00:10::137:12:0/112\", via6: \"fd00:31:56::2\" }"))
UPLINKS = (("osa10", "10.131.11.254/8", "fd00:10::131:11:254/64"), ("hsi0", "172.31.56.1/24", "fd00:31:56::1/64"),
           ("osa172", "172.18.0.11/15", "fd00:172:18::11/64"))


def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def address(i):
    return f"10.136.{i // 250}.{i % 250 + 1}"


def mac(i):
    return "52:54:00:%02x:%02x:%02x" % ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)


def address6(i):
    return f"fd00:10::136:0:{i + 1:x}"


def domain_xml(i, bridge="br-ex", dual=False):
    # An unmanaged domain (on another bridge) carries no routed-hook metadata, as on a real host.
    v6 = f' address6="{address6(i)}"' if dual else ""
    metadata = "" if bridge != "br-ex" else (
        f'<metadata><rh:guest xmlns:rh="urn:routed-hook:1"><rh:interface mac="{mac(i)}" address="{address(i)}"{v6}/>'
        '</rh:guest></metadata>')
    return f"""<domain type='kvm'><name>g{i}</name><uuid>{uuid.UUID(int=i + 1)}</uuid>
{metadata}
<devices><interface type='bridge'><mac address='{mac(i)}'/><source bridge='{bridge}'/><virtualport type='openvswitch'/>
<target dev='vnet{i}'/><model type='virtio'/><alias name='net0'/></interface></devices></domain>"""


class Host:
    """A namespace shaped like the talk's LPAR: br-ex with no port, dummy uplinks with the talk's addresses."""

    def __init__(self, tag, dual=False):
        self.ns = f"rhb-{tag}-{os.getpid()}"
        self.dual = dual
        # State lives on a tmpfs, as /run/routed-hook does on a real host (Debian mounts /run as tmpfs). This
        # machine's /run is its ext4 root, where creating a record or an address link in a directory of
        # thousands costs up to 0.8 ms and an fsync 0.5 ms; /dev/shm is a tmpfs everywhere.
        self.dir = tempfile.mkdtemp(prefix="rhb-", dir="/dev/shm")
        self.config = os.path.join(self.dir, "routed-hook.yaml")
        self.state = os.path.join(self.dir, "state")
        with open(self.config, "w") as f:
            f.write(DUAL_CONFIG if dual else CONFIG)
        os.makedirs(os.path.join(self.dir, "qemu.d"))
        self.hook = os.path.join(self.dir, "qemu.d", "routed-hook")
        os.symlink(HOOK, self.hook)
        self.baseline = None
        if BASELINE:
            os.makedirs(os.path.join(self.dir, "baseline", "qemu.d"))
            self.baseline = os.path.join(self.dir, "baseline", "qemu.d", "routed-hook")
            os.symlink(BASELINE, self.baseline)
        sh("ip", "netns", "add", self.ns)
        try:
            # Uplinks are veth pairs whose far ends stay unused in the same namespace (no dummy module here).
            commands = [["link", "add", "br-ex", "type", "bridge"], ["link", "set", "br-ex", "up"]]
            for name, addr, addr6 in UPLINKS:
                commands += [["link", "add", name, "type", "veth", "peer", f"{name}-far"],
                             ["address", "add", addr, "dev", name], ["link", "set", name, "up"],
                             ["link", "set", f"{name}-far", "up"]]
                if dual:
                    commands.append(["address", "add", addr6, "dev", name, "nodad"])
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


def spawn(argv, stdin_path, env):
    """Starts argv as libvirt does: stdin from the XML, stdout and stderr to pipes. Returns (pid, pipes)."""
    fd = os.open(stdin_path, os.O_RDONLY) if stdin_path else os.open(os.devnull, os.O_RDONLY)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, fd, 0), (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)])
    finally:
        for d in (fd, out_w, err_w):
            os.close(d)
    return pid, [out_r, err_r]


def finish(argv, pid, pipes):
    """Waits as virCommandRun does: both pipes at EOF, then waitpid. Fails on a non-zero exit."""
    errors = b""
    while pipes:
        ready, _, _ = select.select(pipes, [], [])
        for r in ready:
            data = os.read(r, 65536)
            if not data:
                pipes.remove(r)
                os.close(r)
            else:
                errors += data
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}: {errors.decode(errors='replace')}")


def spawn_timed(argv, stdin_path, env, netns_fd=None):
    """Runs argv (in this process's namespace) to EOF and exit, as libvirt waits for a hook; wall nanoseconds."""
    start = time.perf_counter_ns()
    pid, pipes = spawn(argv, stdin_path, env)
    finish(argv, pid, pipes)
    return time.perf_counter_ns() - start


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


def xml_file(directory, i, bridge="br-ex", dual=False):
    path = os.path.join(directory, f"g{i}.xml")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(domain_xml(i, bridge, dual))
    return path


def populate(host, count, start, tool):
    """Applies guests start..count-1 as `started` calls."""
    for i in range(start, count):
        argv, env = tool(host, i, "started", "begin", "-")
        spawn_timed(argv, xml_file(host.dir, i, dual=host.dual), env, None)


def paired_lifecycles(hosts, runs, guest):
    """`runs` lifecycles of `guest` on each host (each in its own namespace), alternating host by host and
    swapping the order every run, so both see the same machine. Returns each host's lifecycle totals."""
    totals = [[] for _ in hosts]
    per_call = [{op: [] for op, _, _ in LIFECYCLE} for _ in hosts]
    for k in range(runs):
        order = list(enumerate(hosts)) if k % 2 == 0 else list(reversed(list(enumerate(hosts))))
        for h, host in order:
            path = xml_file(host.dir, guest, dual=host.dual)
            with Namespace(host.ns):
                settle()
                totals[h].append(lifecycle(host, guest, routed, path, per_call[h]))
    return totals, per_call


def lifecycle(host, guest, tool, path, per_call):
    """One lifecycle of `guest` by `tool`, each call timed into `per_call`; returns the total."""
    total = 0
    for op, sub, extra in LIFECYCLE:
        argv, env = tool(host, guest, op, sub, extra)
        if op == "stopped":
            idle()
        elapsed = spawn_timed(argv, path, env, None)
        per_call[op].append(elapsed)
        total += elapsed
    return total


def routed(host, i, op, sub, extra):
    # Named as libvirt runs it (hooks/qemu.d/routed-hook), so the kind comes from argv[0].
    return [host.hook, f"g{i}", op, sub, extra], host.env()


def reference(host, i, op, sub, extra):
    env = host.env()
    env["REF_GUEST_ADDRESS"] = address(i)
    return ["/bin/sh", REFERENCE, f"g{i}", op, sub, extra], env


def routed_baseline(host, i, op, sub, extra):
    return [host.baseline, f"g{i}", op, sub, extra], host.env()


def holders():
    """Pids of live release holders (comm routed-hook-rel) in this process's network namespace."""
    mine = os.stat("/proc/self/ns/net").st_ino
    found = []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        pid = comm.split("/")[2]
        try:
            if open(comm).read().strip() == "routed-hook-rel" and os.stat(f"/proc/{pid}/ns/net").st_ino == mine:
                found.append(int(pid))
        except OSError:
            pass  # gone, or a zombie waiting for its reaper
    return found


def settle(limit=2.0):
    """Untimed: waits until no release holder of ours is left, so every lifecycle starts from a quiet kernel."""
    deadline = time.monotonic() + limit
    while holders():
        if time.monotonic() > deadline:
            raise RuntimeError(f"release holders still alive after {limit} s: {holders()}")
        time.sleep(0.001)


MEMBARRIER = {"x86_64": 324, "aarch64": 283, "s390x": 356, "ppc64le": 365}  # the syscall's number


class Commit:
    """One nfnetlink socket of this process, for the adding floor: a batch that adds one element to
    inet routed_hook guests_guests, timed from send to its ACK. Deletions (to undo) are untimed and followed by
    a wait for the grace period (membarrier), so they leave no destroy work for the next measurement."""

    libc = ctypes.CDLL(None, use_errno=True)

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
        self.sock.bind((0, 0))
        self.seq = int(time.time())

    def message(self, kind, flags, family, payload):
        self.seq += 1
        body = struct.pack("=BBH", family, 0, socket.htons(10 if kind < 0x100 else 0)) + payload  # NFNL_SUBSYS_NFTABLES
        return struct.pack("=IHHII", 16 + len(body), kind, flags, self.seq, 0) + body

    @staticmethod
    def attr(kind, data):
        raw = struct.pack("=HH", 4 + len(data), kind) + data
        return raw + b"\0" * ((4 - len(raw) % 4) % 4)

    def batch(self, msg_type, address):
        key = self.attr(1 | 0x8000, self.attr(1, socket.inet_aton(address)))           # KEY { DATA_VALUE }
        elements = self.attr(3 | 0x8000, self.attr(1 | 0x8000, key))                     # ELEMENTS { ELEM { KEY } }
        payload = self.attr(1, b"routed_hook\0") + self.attr(2, b"guests_guests\0") + elements
        flags = 0x1 | 0x4 | (0x400 if msg_type == 12 else 0)                           # REQUEST|ACK(|CREATE)
        begin = self.message(0x10, 0x1, 0, b"")
        element = self.message((10 << 8) | msg_type, flags, 1, payload)                 # NFPROTO_INET
        wanted = self.seq
        end = self.message(0x11, 0x1, 0, b"")
        start = time.perf_counter_ns()
        self.sock.send(begin + element + end)
        while True:
            data = self.sock.recv(65536)
            length, kind, _, seq, _ = struct.unpack_from("=IHHII", data)
            if kind == 2 and seq == wanted:
                elapsed = time.perf_counter_ns() - start
                error = struct.unpack_from("=i", data, 16)[0]
                if error:
                    raise OSError(-error, f"nftables batch {msg_type} {address}")
                return elapsed

    def add(self, address):
        return self.batch(12, address)   # NFT_MSG_NEWSETELEM

    def remove(self, address):
        self.batch(14, address)           # NFT_MSG_DELSETELEM
        self.libc.syscall(MEMBARRIER[platform.machine()], 1, 0, 0)  # MEMBARRIER_CMD_GLOBAL: synchronize_rcu()

    def close(self):
        self.sock.close()


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


def lifecycles(host, tools, runs, guest, floor=None):
    """Runs `runs` lifecycles of each tool, alternating tool by tool; with `floor` (a static binary), measures
    the floors between them. Every lifecycle starts after `settle`, from a kernel with no pending release.

    The deleting floor's transaction waits for an RCU grace period, whose length drifts with what the machine
    does (10-17 ms here), so it is sampled right after each lifecycle, not once per run. The adding floor is
    five starts plus one adding commit, timed in this process from send to ACK.
    """
    per_call = [{op: [] for op, _, _ in LIFECYCLE} for _ in tools]
    totals = [[] for _ in tools]
    floors, add_floors = [], []
    path = xml_file(host.dir, guest)
    commit = Commit() if floor else None
    for k in range(runs):
        order = list(enumerate(tools)) if k % 2 == 0 else list(reversed(list(enumerate(tools))))
        for t, tool in order:
            settle()
            totals[t].append(lifecycle(host, guest, tool, path, per_call[t]))
        if floor:
            settle()
            starts = sum(spawn_timed([floor], None, host.env(), None) for _ in range(5))
            element = f"{{ 10.136.250.{k % 250 + 1} . \"osa10\" }}"
            add = spawn_timed(["/usr/sbin/nft", f"add element inet routed_hook egress {element}"], None, host.env(), None)
            idle()
            delete = spawn_timed(["/usr/sbin/nft", f"delete element inet routed_hook egress {element}"], None, host.env(), None)
            floors.append(starts + max(0, delete - add))
            adding = commit.add(f"10.136.251.{k % 250 + 1}")
            commit.remove(f"10.136.251.{k % 250 + 1}")
            add_floors.append(starts + adding)
    if commit:
        commit.close()
    return totals, per_call, floors, add_floors


def start_calls(host, tool, guest):
    """prepare, start, started of `guest`: wall nanoseconds of the three, and of started alone."""
    path = xml_file(host.dir, guest)
    total = 0
    for op, sub, extra in LIFECYCLE[:3]:
        argv, env = tool(host, guest, op, sub, extra)
        elapsed = spawn_timed(argv, path, env)
        total += elapsed
    return total, elapsed


def stop_calls(host, tool, guest):
    path = xml_file(host.dir, guest)
    for op, sub, extra in LIFECYCLE[3:]:
        argv, env = tool(host, guest, op, sub, extra)
        spawn_timed(argv, path, env)


def concurrency(host, tool, runs, a, b):
    """A start of guest b on a quiet kernel, right after guest a's `stopped` returned, and with b's `started`
    spawned at the same moment as a's `stopped`. Returns three lists of (prepare+start+started, started) ns."""
    quiet, after, alongside = [], [], []
    for _ in range(runs):
        settle()
        quiet.append(start_calls(host, tool, b))
        stop_calls(host, tool, b)
        for scenario in (after, alongside):
            settle()
            start_calls(host, tool, a)
            settle()
            idle()
            argv, env = tool(host, a, "stopped", "end", "-")
            if scenario is after:
                spawn_timed(argv, xml_file(host.dir, a), env)
                scenario.append(start_calls(host, tool, b))
            else:
                for op, sub, extra in LIFECYCLE[:2]:
                    spawn_timed(tool(host, b, op, sub, extra)[0], xml_file(host.dir, b), env)
                stopping = spawn(argv, xml_file(host.dir, a), env)
                bargv, benv = tool(host, b, "started", "begin", "-")
                begin = time.perf_counter_ns()
                pid, pipes = spawn(bargv, xml_file(host.dir, b), benv)
                finish(bargv, pid, pipes)
                elapsed = time.perf_counter_ns() - begin
                finish(argv, *stopping)
                scenario.append((elapsed, elapsed))
            spawn_timed(tool(host, a, "release", "end", "destroyed")[0], xml_file(host.dir, a), env)
            stop_calls(host, tool, b)
    return quiet, after, alongside


def burst(host, tool, first, count):
    """`count` guests started, then `count` concurrent `stopped` calls. Returns (wall ns until every call
    returned, per-call ns, ns until no release holder is left)."""
    for i in range(first, first + count):
        spawn_timed(tool(host, i, "started", "begin", "-")[0], xml_file(host.dir, i), host.env())
    settle()
    begin = time.perf_counter_ns()
    running = []
    for i in range(first, first + count):
        argv, env = tool(host, i, "stopped", "end", "-")
        running.append((argv, time.perf_counter_ns(), *spawn(argv, xml_file(host.dir, i), env)))
    calls = []
    for argv, started, pid, pipes in running:
        finish(argv, pid, pipes)
        calls.append(time.perf_counter_ns() - started)
    returned = time.perf_counter_ns() - begin
    left = subprocess.run(["nft", "list", "set", "inet", "routed_hook", "guests_guests"],
                          capture_output=True, text=True, check=True).stdout
    stale = [i for i in range(first, first + count) if f'"g{i}"' in left]
    if stale:
        raise RuntimeError(f"burst: guests {stale} still have elements after their stopped returned")
    settle(limit=10.0)
    quiet = time.perf_counter_ns() - begin
    for i in range(first, first + count):
        spawn_timed(tool(host, i, "release", "end", "destroyed")[0], xml_file(host.dir, i), host.env())
    return returned, calls, quiet


def pct(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def ms(ns):
    return f"{ns / 1e6:.2f}"


def main():
    global BASELINE, HOOK
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--sizes", default="10,1000,4000")
    parser.add_argument("--reference-sizes", default="10,1000")
    parser.add_argument("--hook", metavar="PATH", help="the routed-hook binary to time (default: this tree's release build)")
    parser.add_argument("--baseline", metavar="PATH", help="another routed-hook binary to time alongside this tree's; "
                        "keep both on one file system (exec costs differ between them here: /tmp vs /work)")
    parser.add_argument("--burst", type=int, default=64, help="concurrent stopped calls in the burst (0: none)")
    parser.add_argument("--dual-stack", type=int, default=1000, metavar="N",
                        help="guests next to the dual-stack lifecycle and its IPv4-only twin (0: no dual-stack row)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/lifecycle.py: run as root (it builds network namespaces)")
    if args.hook:
        HOOK = os.path.abspath(args.hook)
    if not os.access(HOOK, os.X_OK):
        sys.exit(f"bench/lifecycle.py: no release build at {HOOK} (swift build -c release --static-swift-stdlib)")
    if args.baseline:
        if not os.access(args.baseline, os.X_OK):
            sys.exit(f"bench/lifecycle.py: --baseline {args.baseline}: not an executable")
        BASELINE = os.path.abspath(args.baseline)
    sizes = [int(s) for s in args.sizes.split(",")]
    ref_sizes = [int(s) for s in args.reference_sizes.split(",")] if args.reference_sizes else []

    scratch = tempfile.TemporaryDirectory(prefix="rhb-trivial-")
    trivial = os.path.join(scratch.name, "trivial")
    sh("swiftc", "-O", "-static-stdlib", os.path.join(ROOT, "bench", "trivial.swift"), "-o", trivial)

    rows = []
    results = {}
    guest = 9999  # the measured guest, never among the pre-applied ones
    hooks = [("routed-hook", routed)] + ([("baseline", routed_baseline)] if BASELINE else [])
    extra = []
    for name, tools, wanted in (("routed-hook", hooks, sizes), ("shell reference", [("shell reference", reference)], ref_sizes)):
        if not wanted:
            continue
        host = Host(name.split()[0][:6])
        try:
            with Namespace(host.ns):
                have = 0
                for size in wanted:
                    print(f"  {name}: applying {size} guests …", file=sys.stderr, flush=True)
                    populate(host, size, have, tools[0][1])
                    have = size
                    print(f"  {name}: {args.runs} lifecycles at {size} guests …", file=sys.stderr, flush=True)
                    # The floors (five static binary starts and one deleting nft transaction, or one adding
                    # commit) are sampled between routed-hook's lifecycles; they need routed-hook's sets.
                    totals, per_call, floors, add_floors = lifecycles(
                        host, [tool for _, tool in tools], args.runs, guest,
                        floor=trivial if name == "routed-hook" else None)
                    for t, (tool_name, _) in enumerate(tools):
                        results[(tool_name, size)] = totals[t]
                        rows.append((tool_name, size, pct(totals[t], 50), pct(totals[t], 95),
                                     " ".join(f"{op}={ms(pct(v, 50))}" for op, v in per_call[t].items())
                                     + (f"; floor {ms(pct(floors, 50))}, adding floor {ms(pct(add_floors, 50))}"
                                        if floors and t == 0 else "")))
                    if floors:
                        results[("floor", size)] = floors
                        results[("adding floor", size)] = add_floors
                if name == "routed-hook":
                    # Unmanaged calls alternate with static binary starts, so both see the same machine.
                    unmanaged_path = xml_file(host.dir, 7777, bridge="virbr0")
                    trivial_runs, unmanaged = [], []
                    for _ in range(args.runs * 4):
                        trivial_runs.append(spawn_timed([trivial], None, host.env(), None))
                        unmanaged.append(spawn_timed([host.hook, "other", "started", "begin", "-"], unmanaged_path, host.env(), None))
                    results["trivial"] = trivial_runs
                    results["unmanaged"] = unmanaged
                    for tool_name, tool in tools:
                        print(f"  {tool_name}: a start next to another guest's stop …", file=sys.stderr, flush=True)
                        quiet, after, alongside = concurrency(host, tool, args.runs, 9997, 9998)
                        extra.append(
                            f"- {tool_name}, a start of guest B (p50, {args.runs} each): prepare+start+started "
                            f"{ms(pct([q[0] for q in quiet], 50))} ms on a quiet kernel, "
                            f"{ms(pct([q[0] for q in after], 50))} ms right after guest A's `stopped` returned; "
                            f"B's `started` alone {ms(pct([q[1] for q in quiet], 50))} ms quiet, "
                            f"{ms(pct([q[1] for q in after], 50))} ms right after A's `stopped`, "
                            f"{ms(pct([q[1] for q in alongside], 50))} ms spawned together with A's `stopped`")
                        if args.burst:
                            print(f"  {tool_name}: {args.burst} concurrent stops …", file=sys.stderr, flush=True)
                            returned, calls, quiet_at = burst(host, tool, 20000, args.burst)
                            extra.append(
                                f"- {tool_name}, {args.burst} concurrent `stopped` calls: all returned after "
                                f"{ms(returned)} ms (per call p50 {ms(pct(calls, 50))}, max {ms(max(calls))} ms), "
                                f"every guest's elements already gone then; no release holder left after {ms(quiet_at)} ms")
        finally:
            host.destroy()

    if args.dual_stack:
        # Two hosts, the same N guests each, one IPv4-only and one dual stack; lifecycles alternate between them.
        pair = []
        try:
            for tag, dual in (("ipv4", False), ("dual", True)):
                pair.append(Host(tag, dual))
                with Namespace(pair[-1].ns):
                    print(f"  {tag}: applying {args.dual_stack} guests …", file=sys.stderr, flush=True)
                    populate(pair[-1], args.dual_stack, 0, routed)
                if dual:
                    # The row must measure both families: every guest's /128 (protocol 151) is in the kernel.
                    routes = sh("ip", "-n", pair[-1].ns, "-6", "route", "show", "proto", "151").stdout
                    v6 = sum(1 for line in routes.splitlines() if line.startswith("fd00:10::136:0:"))
                    if v6 != args.dual_stack:
                        raise RuntimeError(f"the dual-stack host has {v6} guest /128 routes, not {args.dual_stack}")
            print(f"  IPv4-only and dual stack: {args.runs} lifecycles each, alternating …", file=sys.stderr, flush=True)
            totals, per_call = paired_lifecycles(pair, args.runs, guest)
        finally:
            for host in pair:
                host.destroy()
        for name, t in (("routed-hook, IPv4-only guest (pair)", 0), ("routed-hook, dual-stack guest (pair)", 1)):
            results[(name, args.dual_stack)] = totals[t]
            rows.append((name, args.dual_stack, pct(totals[t], 50), pct(totals[t], 95),
                         " ".join(f"{op}={ms(pct(v, 50))}" for op, v in per_call[t].items())))

    t50 = pct(results["trivial"], 50)
    lines = ["| tool | other guests | lifecycle p50 ms | p95 ms | per call p50 ms |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {s} | {ms(a)} | {ms(b)} | {c} |" for n, s, a, b, c in rows]
    lines.append("")
    lines.append("- each call timed as libvirt waits for it: stdout and stderr at EOF, then the exit; every lifecycle "
                 "starts with no release holder left; a random idle 4-12 ms (untimed) before `stopped`"
                 + (f"; routed-hook: `{HOOK}`, baseline: `{BASELINE}`, alternating lifecycle by lifecycle" if BASELINE else ""))
    lines.append("- floor, per row: 5 × static binary start + one deleting nft transaction (nft delete − nft add); "
                 "adding floor: 5 × static binary start + one adding commit (send to ACK, this process); both sampled after each lifecycle")
    lines.append(f"- unmanaged domain, one hook call: p50 {ms(pct(results['unmanaged'], 50))} ms vs static binary start {ms(t50)} ms")
    lines += extra
    checks = []
    r = lambda n, s: pct(results[(n, s)], 50)
    if ("shell reference", 1000) in results and ("routed-hook", 1000) in results:
        ratio = r("shell reference", 1000) / r("routed-hook", 1000)
        checks.append((f"at 1,000 guests routed-hook is {ratio:.1f}× faster than the shell reference (target ≥ 10×)", ratio >= 10))
    if ("routed-hook", 4000) in results and ("routed-hook", 10) in results:
        ratio = r("routed-hook", 4000) / r("routed-hook", 10)
        checks.append((f"cost at 4,000 guests is {ratio:.2f}× the cost at 10 (target ≤ 1.3×)", ratio <= 1.3))
    worst = max(r("routed-hook", s) / pct(results[("floor", s)], 50) for s in sizes)
    checks.append((f"lifecycle p50 is {worst:.2f}× its deleting floor at worst (target ≤ 1.5×)", worst <= 1.5))
    adding = max(r("routed-hook", s) / pct(results[("adding floor", s)], 50) for s in sizes)
    lines.append(f"- lifecycle p50 is {adding:.2f}× the adding floor at worst (five starts and an adding commit: "
                 "what is left once no call waits for a grace period)")
    if ("baseline", 1000) in results:
        ratio = r("routed-hook", 1000) / r("baseline", 1000)
        checks.append((f"lifecycle p50 at 1,000 guests is {ratio:.2f}× the baseline's (target ≤ 0.6×)", ratio <= 0.6))
    if args.dual_stack:
        n = args.dual_stack
        ratio = r("routed-hook, dual-stack guest (pair)", n) / r("routed-hook, IPv4-only guest (pair)", n)
        checks.append((f"a dual-stack guest's lifecycle p50 at {n:,} guests is {ratio:.2f}× an IPv4-only one's, "
                       "alternating in one run (target ≤ 1.1×)", ratio <= 1.1))
    ratio = pct(results["unmanaged"], 50) / t50
    checks.append((f"unmanaged hook call is {ratio:.2f}× a static binary start (target ≤ 1.5×)", ratio <= 1.5))
    lines += [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in checks]
    table = "\n".join(lines)
    print(table)
    if not args.no_record:
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
        swift = sh("swift", "--version").stdout.splitlines()[0]
        policy = {os.SCHED_OTHER: "SCHED_OTHER", os.SCHED_FIFO: "SCHED_FIFO", os.SCHED_RR: "SCHED_RR"}.get(
            os.sched_getscheduler(0), str(os.sched_getscheduler(0)))
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        header = (f"\n## Lifecycle latency, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC\n\n"
                  f"Machine: {os.cpu_count()} cores, {cpu}, kernel {platform.release()}, {swift}; "
                  f"load average at the end {load}; bench and hooks scheduled {policy}. "
                  f"{args.runs} lifecycles per row, each hook call a separate process.\n\n")
        with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
            f.write(header + table + "\n")


if __name__ == "__main__":
    main()
