#!/usr/bin/env python3
"""Fleet convergence by simulation: N LPAR namespaces on one shared link, BIRD in each (configured by
`routed-hook bird-config`), and G guests per host started through routed-hook's real `started` hook calls
with synthetic domain XML (guests as addresses: no guest namespaces, no taps; routed-hook needs neither).

For each fleet size it measures the time from the last `started` to every host holding every other host's
guest routes (`ip route show proto bird`), and each BIRD's memory (VmRSS, and `birdc show memory`).
Appends a section to bench/RESULTS.md and redraws bench/fleet-convergence.svg.

    sudo bench/fleet.py                          # 4, 8, 16 hosts x 250 guests, full mesh, then 16 and 32 with 2 reflectors
    sudo bench/fleet.py --sizes 4,8,16,24 --guests 250 --reflected 16,32
    sudo bench/fleet.py --smoke                  # 3 hosts x 10 guests, nothing recorded (scripts/test-all runs this)

Not part of CI beyond --smoke: the full run takes a few minutes and all of the machine. Namespaces are
`rhb-f<PID>-<n>` and are always removed; BIRDs are ended by their PID files.
"""

import argparse, datetime, os, platform, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOK = os.path.join(ROOT, ".build", "release", "routed-hook")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
PLOT = os.path.join(ROOT, "bench", "fleet-convergence.svg")


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def link_address(i):
    return f"172.31.{i // 200}.{i % 200 + 1}"


class Fleet:
    """N host namespaces and one segment namespace whose bridge joins their `hsi0` links."""

    def __init__(self, hosts, guests, reflectors):
        self.count, self.guests, self.reflectors = hosts, guests, reflectors
        self.tag = f"rhb-f{os.getpid()}"
        self.dir = tempfile.mkdtemp(prefix="rhb-fleet-", dir="/dev/shm")
        self.namespaces = []
        self.segment = f"{self.tag}-seg"
        try:
            self._build()
        except BaseException:
            self.destroy()
            raise

    def ns(self, i):
        return f"{self.tag}-{i}"

    def path(self, i, name):
        return os.path.join(self.dir, str(i), name)

    def _build(self):
        sh("ip", "netns", "add", self.segment)
        self.namespaces.append(self.segment)
        sh("ip", "-n", self.segment, "link", "add", "hsi", "type", "bridge")
        sh("ip", "-n", self.segment, "link", "set", "hsi", "up")
        for i in range(self.count):
            ns = self.ns(i)
            sh("ip", "netns", "add", ns)
            self.namespaces.append(ns)
            os.makedirs(os.path.join(self.dir, str(i), "xml"))
            batch = "\n".join([
                f"link add h{i} netns {self.segment} type veth peer name hsi0 netns {ns}",
            ])
            sh("ip", "-b", "-", input=batch + "\n")
            sh("ip", "-n", self.segment, "link", "set", f"h{i}", "master", "hsi", "up")
            host = "\n".join([
                "link set lo up", "link add br-ex type bridge", "link set br-ex up",
                f"address add {link_address(i)}/16 dev hsi0", "link set hsi0 up",
            ])
            sh("ip", "-n", ns, "-b", "-", input=host + "\n")
            with open(self.path(i, "routed-hook.yaml"), "w") as f:
                f.write(self.config(i))
            for j in range(self.guests):
                with open(self.path(i, f"xml/g{j}.xml"), "w") as f:
                    f.write(self.domain(i, j))

    def config(self, i):
        others = [link_address(o) for o in range(self.count) if o != i]
        if self.reflectors:
            rrs = [link_address(r) for r in range(self.reflectors)]
            if i < self.reflectors:
                peers = f"  neighbours: [{', '.join(r for r in rrs if r != link_address(i))}]\n" if len(rrs) > 1 else ""
                clients = [a for a in others if a not in rrs]
                sessions = peers + f"  clients: [{', '.join(clients)}]\n"
            else:
                sessions = f"  routeReflectors: [{', '.join(rrs)}]\n"
        else:
            sessions = f"  neighbours: [{', '.join(others)}]\n"
        return (
            "guestNetworks:\n"
            f"  - {{ name: guests, bridge: br-ex, gateway: 10.136.{i}.254/24, uplinks: [hipersockets] }}\n"
            "uplinks:\n"
            f"  - {{ name: hipersockets, interface: hsi0, mode: routed, address: {link_address(i)}/16 }}\n"
            "bgp:\n  asn: 65000\n  uplink: hipersockets\n  prefixes: [10.136.0.0/16]\n  bfd: false\n" + sessions)

    def domain(self, i, j):
        mac = "52:54:%02x:%02x:%02x:%02x" % (i >> 8, i & 0xff, j >> 8, j & 0xff)
        uuid = "%08x-0000-4000-8000-%012x" % (i, j)
        return (f"<domain type='kvm'><name>g{j}</name><uuid>{uuid}</uuid><metadata>"
                f"<rh:guest xmlns:rh=\"urn:routed-hook:1\"><rh:interface mac=\"{mac}\" address=\"10.136.{i}.{j + 1}\"/>"
                f"</rh:guest></metadata><devices><interface type='bridge'><mac address='{mac}'/>"
                f"<source bridge='br-ex'/><target dev='vnet{j}'/></interface></devices></domain>")

    def env(self, i):
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
                "ROUTED_HOOK_CONFIG": self.path(i, "routed-hook.yaml"), "ROUTED_HOOK_STATE_DIR": self.path(i, "state")}

    def start_birds(self):
        for i in range(self.count):
            config = sh(HOOK, "bird-config", "--config", self.path(i, "routed-hook.yaml")).stdout
            # The machine has no syslog: log to a file instead, and keep BIRD's own protocols' names.
            config = config.replace("log syslog all;", f"log \"{self.path(i, 'bird.log')}\" {{ warning, error, fatal, bug }};")
            with open(self.path(i, "bird.conf"), "w") as f:
                f.write(config)
            sh("ip", "netns", "exec", self.ns(i), "bird", "-c", self.path(i, "bird.conf"),
               "-s", self.path(i, "bird.ctl"), "-P", self.path(i, "bird.pid"))

    def established(self, i):
        out = sh("birdc", "-s", self.path(i, "bird.ctl"), "show", "protocols", check=False).stdout
        return sum(1 for line in out.splitlines() if " BGP " in line and "Established" in line)

    def sessions(self, i):
        if not self.reflectors:
            return self.count - 1
        if i < self.reflectors:
            return self.count - 1
        return self.reflectors

    def wait_sessions(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.established(i) == self.sessions(i) for i in range(self.count)):
                return
            time.sleep(0.2)
        raise SystemExit(f"bench/fleet.py: BGP sessions not all established after {timeout} s")

    def start_guests(self):
        """Every host's guests, each through one `started` hook call; hosts side by side, as libvirt on each."""
        script = ('for j in $(seq 0 $(({n} - 1))); do "{hook}" hook qemu g$j started begin - < "{dir}/xml/g$j.xml" || exit 1; done')
        procs = [subprocess.Popen(["ip", "netns", "exec", self.ns(i), "sh", "-c",
                                   script.format(n=self.guests, hook=HOOK, dir=os.path.join(self.dir, str(i)))],
                                  env=self.env(i), stderr=subprocess.PIPE, text=True)
                 for i in range(self.count)]
        failed = [(i, p) for i, p in enumerate(procs) if p.wait() != 0]
        if failed:
            raise SystemExit(f"bench/fleet.py: started failed on host {failed[0][0]}: {failed[0][1].stderr.read()}")

    def bird_routes(self, i):
        out = sh("ip", "-n", self.ns(i), "-4", "route", "show", "proto", "bird").stdout
        return out.count("\n")

    def wait_converged(self, timeout=300):
        wanted = (self.count - 1) * self.guests
        deadline = time.time() + timeout
        pending = set(range(self.count))
        while pending and time.time() < deadline:
            pending = {i for i in pending if self.bird_routes(i) != wanted}
            if pending:
                time.sleep(0.05)
        if pending:
            raise SystemExit(f"bench/fleet.py: hosts {sorted(pending)} short of {wanted} BIRD routes after {timeout} s")

    def memory(self, i):
        pid = open(self.path(i, "bird.pid")).read().strip()
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{pid}/status").read()).group(1))
        out = sh("birdc", "-s", self.path(i, "bird.ctl"), "show", "memory", check=False).stdout
        total = re.search(r"Total:\s+([\d.]+)\s*(\w+)", out)
        bird = None
        if total:
            value, unit = float(total.group(1)), total.group(2)
            bird = value * {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024 * 1024}.get(unit, 1)
        return rss, bird

    def destroy(self):
        for i in range(self.count):
            try:
                pid = int(open(self.path(i, "bird.pid")).read().strip())
                cmdline = open(f"/proc/{pid}/cmdline").read()
                if self.dir in cmdline:
                    os.kill(pid, 9)
            except (OSError, ValueError):
                pass
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def run(hosts, guests, reflectors):
    fleet = Fleet(hosts, guests, reflectors)
    try:
        fleet.start_birds()
        fleet.wait_sessions()
        begin = time.time()
        fleet.start_guests()
        last_started = time.time()
        fleet.wait_converged()
        converged = time.time()
        memory = [fleet.memory(i) for i in range(hosts)]
        return {
            "hosts": hosts, "guests": guests, "reflectors": reflectors, "starts": last_started - begin,
            "converge": converged - last_started, "rss": [m[0] for m in memory], "bird": [m[1] for m in memory],
            "routes": (hosts - 1) * guests,
        }
    finally:
        fleet.destroy()


def plot(rows):
    """Convergence time against fleet size, one line per mode, as a standalone SVG."""
    width, height, left, bottom, top, right = 640, 360, 70, 50, 40, 150
    xs = [r["hosts"] for r in rows]
    ys = [r["converge"] for r in rows]
    xmax, ymax = max(xs) * 1.1, max(max(ys) * 1.25, 0.1)

    def px(x):
        return left + (width - left - right) * x / xmax

    def py(y):
        return height - bottom - (height - bottom - top) * y / ymax

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' font-family='Helvetica, Arial, sans-serif'>",
           "<rect width='100%' height='100%' fill='white'/>",
           f"<text x='{left}' y='22' font-size='15' font-weight='bold'>Fleet convergence: last started → every host holds every route</text>",
           f"<line x1='{left}' y1='{height - bottom}' x2='{width - right}' y2='{height - bottom}' stroke='#333'/>",
           f"<line x1='{left}' y1='{top}' x2='{left}' y2='{height - bottom}' stroke='#333'/>",
           f"<text x='{(left + width - right) / 2}' y='{height - 12}' font-size='12' text-anchor='middle'>hosts (each with {rows[0]['guests']} guests)</text>",
           f"<text x='16' y='{(top + height - bottom) / 2}' font-size='12' transform='rotate(-90 16 {(top + height - bottom) / 2})' text-anchor='middle'>seconds</text>"]
    for k in range(5):
        y = ymax * k / 4
        out.append(f"<text x='{left - 6}' y='{py(y) + 4}' font-size='11' text-anchor='end'>{y:.2f}</text>")
        out.append(f"<line x1='{left}' y1='{py(y)}' x2='{width - right}' y2='{py(y)}' stroke='#ddd'/>")
    for x in sorted(set(xs)):
        out.append(f"<text x='{px(x)}' y='{height - bottom + 16}' font-size='11' text-anchor='middle'>{x}</text>")
    series = [("full mesh", "#1f77b4", [r for r in rows if not r["reflectors"]]),
              ("2 route reflectors", "#d62728", [r for r in rows if r["reflectors"]])]
    for index, (name, color, points) in enumerate(series):
        if not points:
            continue
        points = sorted(points, key=lambda r: r["hosts"])
        path = " ".join(f"{'M' if n == 0 else 'L'} {px(r['hosts']):.1f} {py(r['converge']):.1f}" for n, r in enumerate(points))
        out.append(f"<path d='{path}' fill='none' stroke='{color}' stroke-width='2'/>")
        for r in points:
            out.append(f"<circle cx='{px(r['hosts']):.1f}' cy='{py(r['converge']):.1f}' r='4' fill='{color}'/>")
        out.append(f"<line x1='{width - right + 15}' y1='{top + 20 * index + 6}' x2='{width - right + 35}' y2='{top + 20 * index + 6}' stroke='{color}' stroke-width='2'/>")
        out.append(f"<text x='{width - right + 40}' y='{top + 20 * index + 10}' font-size='12'>{name}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    bird = sh("bird", "--version", check=False).stderr.strip() or sh("bird", "--version", check=False).stdout.strip()
    load = os.getloadavg()[0]
    nice = os.nice(0)
    return (f"{os.cpu_count()} × {cpu}, kernel {platform.release()}, {bird}; load average {load:.1f} at the start"
            + (f", run at nice {nice}" if nice else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="4,8,16", help="full-mesh fleet sizes")
    parser.add_argument("--reflected", default="16,32", help="fleet sizes with two route reflectors")
    parser.add_argument("--guests", type=int, default=250)
    parser.add_argument("--smoke", action="store_true", help="3 hosts x 10 guests, full mesh; records nothing")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/fleet.py: run as root (network namespaces)")
    if not os.access(HOOK, os.X_OK):
        sys.exit(f"bench/fleet.py: build first: swift build -c release --static-swift-stdlib ({HOOK} missing)")
    plan = [(3, 10, 0)] if args.smoke else (
        [(int(n), args.guests, 0) for n in args.sizes.split(",") if n] +
        [(int(n), args.guests, 2) for n in args.reflected.split(",") if n])
    rows = []
    for hosts, guests, reflectors in plan:
        mode = f"{reflectors} reflectors" if reflectors else "full mesh"
        print(f"==> {hosts} hosts x {guests} guests, {mode}", flush=True)
        row = run(hosts, guests, reflectors)
        rss = row["rss"]
        print(f"    {hosts * guests} started in {row['starts']:.1f} s; converged {row['converge']:.3f} s after the last; "
              f"BIRD RSS mean {sum(rss) / len(rss) / 1024:.1f} MiB, max {max(rss) / 1024:.1f} MiB", flush=True)
        rows.append(row)
    if args.smoke:
        print("fleet smoke: 1 passed, 0 failed")
        return
    if args.no_record:
        return
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## Fleet convergence, {when}\n", f"`sudo bench/fleet.py` on {machine()}. "
             "Each host a namespace with BIRD (from `routed-hook bird-config`, no BFD), guests started by real "
             "`started` hook calls, all hosts side by side. *converge*: from the last `started` returning to every "
             "host holding every other host's guests as BIRD routes. RSS: BIRD's resident memory; BIRD: its own "
             "`show memory` total. Reflectors: the two route reflectors' figures.\n",
             "| hosts | guests/host | mode | BIRD routes/host | starts (s) | converge (s) | RSS mean (MiB) | RSS max (MiB) | BIRD mem mean (MiB) | reflector RSS (MiB) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        birds = [b for b in r["bird"] if b is not None]
        rr = "–" if not r["reflectors"] else f"{max(r['rss'][:r['reflectors']]) / 1024:.1f}"
        lines.append(
            f"| {r['hosts']} | {r['guests']} | {'2 reflectors' if r['reflectors'] else 'full mesh'} | {r['routes']} | "
            f"{r['starts']:.1f} | {r['converge']:.3f} | {sum(r['rss']) / len(r['rss']) / 1024:.1f} | "
            f"{max(r['rss']) / 1024:.1f} | {(sum(birds) / len(birds) / 1024) if birds else float('nan'):.1f} | {rr} |")
    lines.append("\n![convergence against fleet size](fleet-convergence.svg)\n")
    with open(RESULTS, "a") as f:
        f.write("\n".join(lines))
    with open(PLOT, "w") as f:
        f.write(plot(rows))
    print(f"appended to {RESULTS}; plot in {PLOT}")


if __name__ == "__main__":
    main()
