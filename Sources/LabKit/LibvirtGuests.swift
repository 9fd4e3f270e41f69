import Foundation
import RoutedCore

/// The guests of `libvirt: true` hosts as real domains: defined, started, stopped and hot-plugged through
/// virsh, so that libvirtd (not the lab) calls routed-hook. An LXC guest's network namespace is attached under
/// the guest's lab namespace name, so every probe reaches it as it reaches the lab's own guests.
struct LibvirtGuests {
  let topology: Topology
  let names: LabNames
  let hookPath: String

  func daemon(_ host: Host) -> LibvirtDaemon {
    LibvirtDaemon(
      names: names, host: host, topology: topology, journal: Journal(names: names), hookPath: hookPath)
  }

  func host(of guest: Guest) -> Host { topology.host(named: guest.host)! }
  func driver(_ guest: Guest) -> String { guest.domain == .qemu ? "qemu" : "lxc" }

  /// Starts each libvirt host's daemons and networks, then defines every guest (started ones come later).
  func bringUp(clock: PhaseClock) throws {
    let hosts = topology.hosts.filter(\.libvirt)
    try clock.phase("libvirtd", detail: "\(hosts.count) × virtlogd + libvirtd") {
      try Parallel.forEach(hosts) { host in try daemon(host).start() }
    }
    let images = topology.guests.filter { $0.domain == .qemu }
    if !images.isEmpty {
      try clock.phase("guest images", detail: "kernel + initramfs, cached") {
        for guest in images { _ = try image(for: guest) }
      }
    }
    try clock.phase(
      "libvirt define", detail: "networks and \(topology.guests.filter { $0.domain != nil }.count) domains"
    ) {
      for host in hosts {
        let libvirt = daemon(host)
        for network in host.libvirtNetworks {
          let path = "\(names.hostDirectory(host.name))/network-\(network.name).xml"
          try FileSystem.write(RealDomain.networkXML(network, lab: topology.lab), to: path)
          try libvirt.virshCheck(libvirt.networkDriver, ["net-define", path])
          // libvirt runs the network hook's start and started here: routed-hook's host baseline.
          try libvirt.virshCheck(libvirt.networkDriver, ["net-start", network.name])
        }
        for guest in host.guests { try define(guest) }
      }
    }
  }

  /// Writes the guest's definition (and a container's init script) and defines it in libvirtd.
  func define(_ guest: Guest) throws {
    let host = host(of: guest)
    var domain = RealDomain(guest: guest, host: host, lab: topology.lab, names: names)
    if guest.domain == .qemu {
      domain.image = try image(for: guest)
    } else {
      try FileSystem.write(domain.initScript, to: names.guestInit(host.name, guest.name))
      chmod(names.guestInit(host.name, guest.name), 0o755)
    }
    try FileSystem.write(domain.xml, to: names.domainXML(guest.name))
    try daemon(host).virshCheck(driver(guest), ["define", names.domainXML(guest.name)])
  }

  /// The guest's kernel and initramfs: the image command's two output lines, built once and cached by it.
  func image(for guest: Guest) throws -> (kernel: String, initrd: String) {
    guard let command = guest.image?.split(separator: " ").map(String.init), let program = command.first
    else {
      throw LabError("\(guest.name) has no image command")
    }
    let path = program.hasPrefix("/") ? program : "\(topology.baseDirectory)/\(program)"
    let result = try Command.run([path] + command.dropFirst(), timeout: 600)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    guard result.succeeded, lines.count >= 2, FileSystem.exists(lines[0]), FileSystem.exists(lines[1]) else {
      throw LabError("image for \(guest.name): \(result.failureSummary)")
    }
    return (lines[0], lines[1])
  }

  // MARK: Lifecycle

  /// `virsh start`: libvirtd runs prepare, start and started (and port-created on a libvirt network).
  /// Returns once the guest's network is configured: a container's namespace attached, a VM's shell answering.
  func start(_ guest: Guest) throws {
    let libvirt = daemon(host(of: guest))
    try libvirt.virshCheck(driver(guest), ["start", guest.name])
    try silenceTaps(guest)
    if guest.domain == .qemu {
      // Booted once it answers a ping from its host (routed-hook has routed it by now); only then the serial
      // console, so no command piles up in the UART while the kernel boots.
      let deadline = Date().addingTimeInterval(60)
      let ping = [
        "ip", "netns", "exec", names.namespace(guest.host), "ping", "-c", "1", "-W", "1",
        guest.address.address.description,
      ]
      while try !Command.run(ping, timeout: 5).succeeded {
        guard Date() < deadline else {
          throw LabError("\(guest.name) did not answer a ping within 60 s of its start")
        }
      }
      let console = SerialConsole(path: names.serialSocket(guest.host, guest.name))
      while !console.isReady() {
        guard Date() < deadline else { throw LabError("\(guest.name)'s serial console did not answer") }
      }
      return
    }
    try attachNamespace(guest)
  }

  /// On the userspace datapath the kernel still sees every frame of an OVS port, and the tap libvirt made would
  /// answer the guest's ARP for its gateway with the tap's own MAC, pulling its traffic off the switch. With the
  /// kernel datapath OVS takes the frames first; the lab makes the taps as mute (before the guest's first ARP).
  private func silenceTaps(_ guest: Guest) throws {
    let output = try daemon(host(of: guest)).virshCheck(driver(guest), ["domiflist", guest.name])
    let taps = output.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
      .filter { $0 != "-" }
    for tap in taps {
      try Command.check(
        [
          "ip", "netns", "exec", names.namespace(guest.host), "sysctl", "-qw",
          "net.ipv4.conf.\(tap).arp_ignore=8",
        ])
    }
  }

  /// Gives a container's network namespace the guest's lab namespace name (recorded first, for `down`).
  private func attachNamespace(_ guest: Guest) throws {
    let script = names.guestInit(guest.host, guest.name)
    let deadline = Date().addingTimeInterval(10)
    var pid: Int32?
    while pid == nil {
      pid = FileSystem.list("/proc").compactMap(Int32.init).first { candidate in
        FileSystem.read("/proc/\(candidate)/cmdline")?.split(separator: "\0").contains { $0 == script }
          == true
      }
      if pid == nil {
        guard Date() < deadline else { throw LabError("\(guest.name)'s init did not appear") }
        usleep(50_000)
      }
    }
    let namespace = names.namespace(guest.name)
    try Journal(names: names).record(namespaces: [namespace])
    if LinkInventory.namespaces().contains(namespace) {
      try Command.check(["ip", "netns", "del", namespace])
    }
    try Command.check(["ip", "netns", "attach", namespace, "\(pid!)"])
    // The container's init configures eth0 itself; wait until it has, as a booted guest would be.
    let address = guest.address.address.description
    for _ in 0..<100 {
      let output =
        (try? Command.run(["ip", "-n", namespace, "-o", "-4", "addr", "show", "dev", "eth0"]))?.stdout ?? ""
      if output.contains(" \(address)/") { return }
      usleep(50_000)
    }
    throw LabError("\(guest.name)'s init did not configure eth0 with \(address)")
  }

  /// `virsh destroy` (or `shutdown`, a container's init ends on SIGTERM): libvirtd runs stopped and release.
  func stop(_ guest: Guest, graceful: Bool) throws {
    let libvirt = daemon(host(of: guest))
    if graceful, guest.domain == .lxc {
      try libvirt.virshCheck(driver(guest), ["shutdown", guest.name, "--mode", "signal"])
      let deadline = Date().addingTimeInterval(20)
      while try libvirt.virsh(driver(guest), ["domstate", guest.name]).stdout.contains("running") {
        guard Date() < deadline else { throw LabError("\(guest.name) did not shut down within 20 s") }
        usleep(100_000)
      }
    } else {
      try libvirt.virshCheck(driver(guest), ["destroy", guest.name])
    }
    // The container's namespace stays, empty, under the guest's name until the next start or `down`: probes
    // of a stopped guest run there, as they do in the lab's own stopped guests.
  }

  /// `virsh start` in the background, libvirtd SIGKILLed as soon as it has run the hook's `start` for the
  /// guest, then started again. Returns whether libvirt runs the guest afterwards (its namespace attached).
  func crashDuringStart(_ guest: Guest) throws -> Bool {
    let libvirt = daemon(host(of: guest))
    let marker = "/routed-hook id=\(guest.name) op=start "
    let before = (FileSystem.read(names.libvirtdLog(guest.host)) ?? "").components(separatedBy: marker).count
    let start = Thread { _ = try? libvirt.virsh(driver(guest), ["start", guest.name], timeout: 60) }
    start.start()
    let deadline = Date().addingTimeInterval(30)
    while (FileSystem.read(names.libvirtdLog(guest.host)) ?? "").components(separatedBy: marker).count
      == before
    {
      guard Date() < deadline else { throw LabError("libvirtd never ran the start hook for \(guest.name)") }
      usleep(2_000)
    }
    try libvirt.restart()
    guard isRunning(guest) else { return false }
    try adopt(guest)
    return true
  }

  /// A guest libvirt started without the lab's `start` (a drill): its taps muted, its namespace attached.
  func adopt(_ guest: Guest) throws {
    try silenceTaps(guest)
    if guest.domain == .lxc { try attachNamespace(guest) }
  }

  /// libvirtd SIGKILLed and started again: it reconnects to its running domains (`reconnect`) and replays
  /// `port-created` for their network ports.
  func restartDaemon(host: Host) throws { try daemon(host).restart() }

  /// True when libvirtd reports the domain running.
  func isRunning(_ guest: Guest) -> Bool {
    let result = try? daemon(host(of: guest)).virsh(driver(guest), ["domstate", guest.name], timeout: 10)
    return result?.stdout.contains("running") == true
  }

  // MARK: Hotplug

  /// A NIC hot-plugged as an admin would: its address into the domain's routed-hook metadata, then
  /// `virsh attach-interface --live` on the host's libvirt network (libvirtd runs the network hook's
  /// port-created), then the address inside the guest.
  func hotplug(_ guest: Guest, mac: LabMAC, address: IPv4Interface) throws {
    let libvirt = daemon(host(of: guest))
    try setMetadata(guest, extra: [(mac, address.address)])
    let network = host(of: guest).libvirtNetwork(bridge: host(of: guest).switchConfig.bridge)!
    try libvirt.virshCheck(
      driver(guest),
      [
        "attach-interface", guest.name, "network", network.name, "--mac", mac.description, "--live",
      ] + (guest.domain == .qemu ? ["--model", "virtio"] : []))
    try FileSystem.write("\(address)\n", to: plugMarker(guest, mac))
    try silenceTaps(guest)
    guard guest.domain == .lxc else { return }
    let namespace = names.namespace(guest.name)
    let device = LinkInventory.links(namespace: namespace).first { $0.mac?.lowercased() == mac.description }?
      .name
    guard let device else { throw LabError("no device with \(mac) appeared in \(guest.name)") }
    try Command.check(
      [
        "ip", "netns", "exec", namespace, "sh", "-c",
        "ethtool -K \(device) tx off >/dev/null 2>&1; ip link set \(device) mtu \(guest.mtu) up && ip addr add \(address) dev \(device)",
      ])
  }

  /// The hot-plugged NIC removed with `virsh detach-interface --live` (port-deleted), then its address
  /// taken out of the metadata again.
  func unplug(_ guest: Guest, mac: LabMAC) throws {
    guard FileSystem.exists(plugMarker(guest, mac)) else {
      throw LabError("\(guest.name) has no hot-plugged NIC \(mac)")
    }
    try daemon(host(of: guest)).virshCheck(
      // A running network NIC shows as type 'bridge' (what it resolved to); libvirt matches that type.
      driver(guest), ["detach-interface", guest.name, "bridge", "--mac", mac.description, "--live"])
    FileSystem.remove(plugMarker(guest, mac))
    try setMetadata(guest, extra: [])
  }

  private func plugMarker(_ guest: Guest, _ mac: LabMAC) -> String {
    "\(names.hostDirectory(guest.host))/guests/\(guest.name)-\(mac.description.replacingOccurrences(of: ":", with: "")).plugged"
  }

  /// The domain's routed-hook metadata, live: its own NIC and the extra ones.
  private func setMetadata(_ guest: Guest, extra: [(LabMAC, IPv4Address)]) throws {
    // libvirt puts the root element into the namespace under the key itself and refuses a root that declares
    // it already; the children name the namespace under a prefix of their own.
    let interfaces = ([(guest.mac, guest.address.address)] + extra).map { mac, address in
      "<m:interface mac=\"\(mac)\" address=\"\(address)\"/>"
    }
    try daemon(host(of: guest)).virshCheck(
      driver(guest),
      [
        "metadata", guest.name, "urn:routed-hook:1", "--key", "rh", "--live", "--set",
        "<guest xmlns:m=\"urn:routed-hook:1\">\(interfaces.joined())</guest>",
      ])
  }

  // MARK: Probes into a VM

  /// A ping from a QEMU guest, over its serial console: (sent, received).
  func ping(from guest: Guest, to address: IPv4Address, count: Int, deadline: Int) throws -> (Int, Int) {
    let console = SerialConsole(path: names.serialSocket(guest.host, guest.name))
    let reply = try console.run("ping -c \(count) -w \(deadline) \(address)", timeout: Double(deadline) + 5)
    guard
      let match = reply.output.range(
        of: #"\d+ packets transmitted, \d+ packets received"#, options: .regularExpression)
    else { return (0, 0) }
    let numbers = reply.output[match].split(separator: " ").compactMap { Int($0) }
    return numbers.count == 2 ? (numbers[0], numbers[1]) : (0, 0)
  }

  // MARK: Log

  /// routed-hook's runs in libvirtd's log (`Calling hook …/routed-hook id=<object> op=<op> …`): the ops in
  /// the order first seen, and every logged error that names a hook.
  func hookRuns(host: String) -> (ops: [String], failures: [String]) {
    Self.hookRuns(log: FileSystem.read(names.libvirtdLog(host)) ?? "")
  }

  static func hookRuns(log: String) -> (ops: [String], failures: [String]) {
    var ops: [String] = []
    var failures: [String] = []
    for line in log.split(separator: "\n") {
      if line.contains("Calling hook "), line.contains("/routed-hook id="),
        let op = line.split(separator: " ").first(where: { $0.hasPrefix("op=") })?.dropFirst(3)
      {
        if !ops.contains(String(op)) { ops.append(String(op)) }
      }
      // libvirt reports a failed hook as VIR_ERR_HOOK_SCRIPT_FAILED, "Hook script execution failed: …".
      if line.contains(" error : "), line.contains("Hook script") || line.contains("routed-hook") {
        failures.append(String(line.suffix(240)))
      }
    }
    return (ops, failures)
  }
}
