import Foundation
import RoutedCore

/// Starts, stops, reconnects, migrates and hot-plugs guests the way libvirt's qemu driver does, calling the
/// qemu hook at each step and, for NICs on a libvirt network, the network hook's port events.
public struct GuestLifecycle: Sendable {
  public let topology: Topology
  public let names: LabNames
  /// nil runs no hook at all (`up --no-hook`): the guests get their NICs, the host gets no routing.
  public let hook: HookDriver?

  /// The hook for a host the lab plays libvirt on; hosts without a hook config have no routed-hook installed,
  /// and on a `libvirt: true` host libvirtd calls it, not the lab.
  func hook(host: String) -> HookDriver? {
    guard let host = topology.host(named: host), host.hook != nil, !host.libvirt else { return nil }
    return hook
  }

  /// The real domains of `libvirt: true` hosts.
  var libvirt: LibvirtGuests {
    LibvirtGuests(topology: topology, names: names, hookPath: hook?.hookPath ?? "")
  }

  /// The hook for a guest's (current) host.
  func hook(for guest: Guest) -> HookDriver? { hook(host: guest.host) }

  public init(topology: Topology, names: LabNames, hook: HookDriver?) {
    self.topology = topology
    self.names = names
    self.hook = hook
  }

  var plan: BuildPlan { BuildPlan(topology: topology, names: names) }

  /// True when the lab started the guest and has not stopped it since.
  public func isRunning(_ guest: String) -> Bool { FileSystem.exists(names.runningMarker(guest)) }

  /// The guests that are running now, in topology order, each on the host it runs on now.
  public var runningGuests: [Guest] { topology.guests.filter { isRunning($0.name) }.map(placed) }

  /// The guest as it is now: on the host and tap it was migrated to, if it was.
  public func placed(_ guest: Guest) -> Guest {
    guard let words = FileSystem.read(names.placement(guest.name))?.split(separator: " "), words.count == 2
    else {
      return guest
    }
    var moved = guest
    moved.host = String(words[0])
    moved.tap = String(words[1])
    return moved
  }

  /// The guest by name, as it is now.
  public func placed(named name: String) -> Guest? { topology.guest(named: name).map(placed) }

  /// A hot-plugged NIC.
  struct ExtraNIC: Equatable {
    var mac: LabMAC
    var address: IPv4Interface
    var tap: String
    var device: String
  }

  func extraNICs(_ guest: Guest) -> [ExtraNIC] {
    (FileSystem.read(names.extraNICs(guest.name)) ?? "").split(separator: "\n").compactMap { line in
      let words = line.split(separator: " ").map(String.init)
      guard words.count == 4, let mac = LabMAC(words[0]), let address = IPv4Interface(words[1]) else { return nil }
      return ExtraNIC(mac: mac, address: address, tap: words[2], device: words[3])
    }
  }

  private func saveExtraNICs(_ nics: [ExtraNIC], guest: Guest) throws {
    if nics.isEmpty { return FileSystem.remove(names.extraNICs(guest.name)) }
    try FileSystem.write(
      nics.map { "\($0.mac) \($0.address) \($0.tap) \($0.device)\n" }.joined(),
      to: names.extraNICs(guest.name))
  }

  /// The domain's NICs: the primary one, then hot-plugged ones.
  func nics(_ guest: Guest, includeTarget: Bool = true) -> [DomainNIC] {
    let primary = DomainNIC(
      mac: guest.mac, address: guest.address.address, address6: guest.address6?.address,
      tap: includeTarget ? guest.tap : nil, mtu: guest.mtu)
    return [primary]
      + extraNICs(guest).enumerated().map { index, nic in
        DomainNIC(
          mac: nic.mac, address: nic.address.address, tap: includeTarget ? nic.tap : nil, mtu: guest.mtu,
          alias: "net\(index + 1)")
      }
  }

  func xml(
    _ guest: Guest, includeTarget: Bool = true, nics override: [DomainNIC]? = nil, metadata: [DomainNIC] = []
  )
    -> String
  {
    let host = topology.host(named: guest.host)!
    let id = (topology.guests.firstIndex { $0.name == guest.name } ?? 0) + 1
    return DomainXMLWriter.make(
      name: guest.name, uuid: guest.uuid(lab: topology.lab),
      nics: override ?? nics(guest, includeTarget: includeTarget),
      bridge: host.switchConfig.bridge, switchKind: host.switchConfig.kind,
      network: host.libvirtNetwork(bridge: host.switchConfig.bridge), id: includeTarget ? id : nil,
      metadata: metadata)
  }

  /// libvirt writes the status file once QEMU is spawned, and again after every live change.
  func writeStatus(_ guest: Guest, nics: [DomainNIC]? = nil, metadata: [DomainNIC] = []) throws {
    guard hook(for: guest) != nil else { return }
    let id = (topology.guests.firstIndex { $0.name == guest.name } ?? 0) + 1
    try FileSystem.write(
      DomainXMLWriter.status(domain: xml(guest, nics: nics, metadata: metadata), pid: 10000 + id),
      to: names.statusFile(host: guest.host, guest: guest.name))
  }

  // MARK: Start and stop

  /// Starts guests: prepare, port-created (libvirt-network NICs), NIC attached, start, status file, started,
  /// each step for all guests before the next. A failing step runs libvirt's failed-start path (stopped,
  /// port-deleted, release) for that guest and is reported.
  public func start(_ guests: [Guest]) throws {
    var failures: [String] = []
    for guest in guests where guest.domain != nil {
      do {
        try libvirt.start(guest)
        try FileSystem.write("", to: names.runningMarker(guest.name))
      } catch {
        failures.append("virsh start \(guest.name) on \(guest.host): \(error)")
      }
    }
    var pending = guests.filter { $0.domain == nil }.map(placed)
    pending = try callHook(pending, op: "prepare", subop: "begin", failures: &failures)
    try portEvents(pending, op: "port-created")
    try attach(pending)
    pending = try callHook(pending, op: "start", subop: "begin", failures: &failures)
    for guest in pending { try writeStatus(guest) }
    pending = try callHook(pending, op: "started", subop: "begin", failures: &failures)
    for guest in pending { try FileSystem.write("", to: names.runningMarker(guest.name)) }
    let failed = guests.filter { $0.domain == nil }.map(placed).filter { guest in !pending.contains(guest) }
    for guest in failed { _ = try? stop(guest, reason: "failed") }
    if !failures.isEmpty { throw LabError(failures.joined(separator: "\n")) }
  }

  /// Stops a guest: `stopped end -`, NICs removed, `port-deleted` per libvirt-network NIC,
  /// `release end <reason>`. Hook failures here are only warnings, as libvirt ignores them too; they are
  /// returned for the caller to print.
  @discardableResult
  public func stop(_ guest: Guest, reason: String = "destroyed") throws -> [String] {
    if guest.domain != nil {
      defer { FileSystem.remove(names.runningMarker(guest.name)) }
      try libvirt.stop(guest, graceful: reason == "shutdown")
      return []
    }
    let guest = placed(guest)
    var warnings: [String] = []
    let nics = self.nics(guest)
    if let hook = hook(for: guest) {
      let result = try hook.qemu(
        host: guest.host, domain: guest.name, op: "stopped", subop: "end", xml: xml(guest))
      if !result.succeeded { warnings.append("stopped end for \(guest.name): \(result.failureSummary)") }
    }
    try detach(guest)
    for nic in extraNICs(guest) { try detachTap(nic.tap, host: guest.host) }
    warnings += try portEvent(guest, nics: nics, op: "port-deleted")
    if let hook = hook(for: guest) {
      let result = try hook.qemu(
        host: guest.host, domain: guest.name, op: "release", subop: "end", extra: reason,
        xml: xml(guest, includeTarget: false))
      if !result.succeeded { warnings.append("release end for \(guest.name): \(result.failureSummary)") }
    }
    FileSystem.remove(names.statusFile(host: guest.host, guest: guest.name))
    FileSystem.remove(names.extraNICs(guest.name))
    FileSystem.remove(names.runningMarker(guest.name))
    return warnings
  }

  /// libvirtd restarted: `port-created` again for each libvirt-network NIC, then `reconnect begin -`, per
  /// running guest of the host. libvirt kills a guest whose reconnect fails, so the lab stops it too and
  /// reports it as lost.
  public func restartDaemon(host: String) throws {
    if let real = topology.host(named: host), real.libvirt { return try libvirt.restartDaemon(host: real) }
    guard let hook = hook(host: host) else { return }
    var lost: [String] = []
    for guest in runningGuests where guest.host == host {
      _ = try portEvent(guest, nics: nics(guest), op: "port-created")
      let result = try hook.qemu(
        host: host, domain: guest.name, op: "reconnect", subop: "begin", xml: xml(guest))
      if !result.succeeded {
        lost.append("\(guest.name) was killed (reconnect failed): \(result.failureSummary)")
        _ = try? stop(guest, reason: "crashed")
      }
    }
    if !lost.isEmpty { throw LabError(lost.joined(separator: "\n")) }
  }

  /// libvirtd killed while a guest starts, then started again; the guest is marked running only if libvirt
  /// says it runs.
  public func crashDaemon(host: String, duringStartOf guest: Guest) throws -> [String] {
    let running = try libvirt.crashDuringStart(guest)
    if running {
      try FileSystem.write("", to: names.runningMarker(guest.name))
    } else {
      FileSystem.remove(names.runningMarker(guest.name))
    }
    return ["\(guest.name) \(running ? "runs" : "does not run") after libvirtd came back"]
  }

  /// The reconcile fault drill on a real LXC guest (stopped before); throws unless reconcile left nothing
  /// leaked or missing. The guest ends as libvirt left it.
  public func killDrill(_ guest: Guest, cycles: Int, byWatch: Bool = false) throws -> [String] {
    guard let hook else { throw LabError("no routed-hook to reconcile with") }
    let report = try KillDrill(guests: libvirt, hook: hook, guest: guest, byWatch: byWatch)
      .run(cycles: cycles, budget: 150)
    if report.running {
      try libvirt.adopt(guest)
      try FileSystem.write("", to: names.runningMarker(guest.name))
    }
    guard report.after == (0, 0) else { throw LabError(report.summary) }
    return [report.summary]
  }

  // MARK: Network hook

  /// `start` and `started` of each libvirt network of each host, as libvirt does when it starts a network.
  public func startNetworks() throws {
    for host in topology.hosts {
      guard let hook = hook(host: host.name) else { continue }
      for network in host.libvirtNetworks {
        let data = DomainXMLWriter.hookData(
          network: network, lab: topology.lab, switchKind: host.switchConfig.kind, port: nil)
        for op in ["start", "started"] {
          let result = try hook.network(
            host: host.name, network: network.name, op: op, subop: "begin", hookData: data)
          guard result.succeeded, result.stdout.isEmpty else {
            throw LabError(
              "routed-hook network \(network.name) \(op) on \(host.name) failed: "
                + (result.stdout.isEmpty ? result.failureSummary : "wrote to stdout"))
          }
        }
      }
    }
  }

  /// A port event for each guest's NICs (its libvirt network only); failures there abort, as the NIC is
  /// not created when libvirt cannot allocate its port.
  private func portEvents(_ guests: [Guest], op: String) throws {
    var problems: [String] = []
    for guest in guests { problems += try portEvent(guest, nics: nics(guest), op: op) }
    if !problems.isEmpty { throw LabError(problems.joined(separator: "\n")) }
  }

  /// One network hook call per NIC; returns what went wrong (port events never fail a guest in libvirt).
  @discardableResult
  func portEvent(_ guest: Guest, nics: [DomainNIC], op: String) throws -> [String] {
    let host = topology.host(named: guest.host)!
    guard let hook = hook(for: guest), let network = host.libvirtNetwork(bridge: host.switchConfig.bridge)
    else {
      return []
    }
    var problems: [String] = []
    for nic in nics {
      let data = DomainXMLWriter.hookData(
        network: network, lab: topology.lab, switchKind: host.switchConfig.kind,
        port: (guest.name, guest.uuid(lab: topology.lab), nic))
      let result = try hook.network(
        host: guest.host, network: network.name, op: op, subop: "begin", hookData: data)
      if !result.succeeded || !result.stdout.isEmpty || !result.stderr.isEmpty {
        let output = (result.stderr + result.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
        problems.append("\(op) \(guest.name) \(nic.mac) on \(guest.host): exit \(result.status) \(output)")
      }
    }
    return problems
  }

  // MARK: Hotplug

  /// Hot-plugs a second NIC as libvirt does: the address goes into the domain's metadata first (status file),
  /// then `port-created`, then the tap on the switch and the device in the guest, then the status file again.
  public func hotplug(_ guestName: String, mac: LabMAC, address: IPv4Interface) throws -> [String] {
    let guest = placed(named: guestName)!
    guard isRunning(guest.name) else { throw LabError("\(guest.name) is not running") }
    if guest.domain != nil {
      try libvirt.hotplug(guest, mac: mac, address: address)
      return []
    }
    var extras = extraNICs(guest)
    guard !extras.contains(where: { $0.mac == mac }) else { throw LabError("\(mac) is already plugged") }
    let host = topology.host(named: guest.host)!
    let tap = freeTap(host: guest.host)
    let nic = ExtraNIC(mac: mac, address: address, tap: tap, device: "eth\(extras.count + 1)")
    let domainNIC = DomainNIC(
      mac: mac, address: address.address, tap: tap, mtu: guest.mtu, alias: "net\(extras.count + 1)")
    try writeStatus(guest, metadata: [domainNIC])
    let problems = try portEvent(guest, nics: [domainNIC], op: "port-created")
    try Command.check(
      [
        "ip", "-b", "-",
      ],
      stdin:
        "link add \(tap) netns \(names.namespace(guest.host)) type veth peer name \(nic.device) netns \(names.namespace(guest.name))\n"
    )
    var tapGuest = guest
    tapGuest.tap = tap
    tapGuest.mac = mac
    try Command.check(
      ["ip", "-n", names.namespace(guest.host), "-b", "-"],
      stdin: plan.tapLines(tapGuest, switchConfig: host.switchConfig).joined(separator: "\n") + "\n")
    if host.switchConfig.kind == .ovs {
      let uuid = guest.uuid(lab: topology.lab)
      let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
      try Command.check(
        ovs.vsctl([
          "--", "--may-exist", "add-port", host.switchConfig.bridge, tap, "--", "set", "interface", tap,
          "mtu_request=\(guest.portMtu ?? guest.mtu)", "external_ids:attached-mac=\"\(mac)\"",
          "external_ids:iface-id=\"\(DomainXMLWriter.portID(uuid: uuid, nic: domainNIC))\"",
          "external_ids:vm-id=\"\(uuid)\"", "external_ids:iface-status=active",
        ]))
    }
    var script = ["set -e"]
    if host.switchConfig.kind == .ovs { script.append("ethtool -K \(nic.device) tx off >/dev/null") }
    script += [
      "ip -b - <<'EOF'",
      plan.altnameLine(node: guest.name, interface: nic.device),
      "link set \(nic.device) address \(mac) mtu \(guest.mtu) up",
      "addr add \(address) dev \(nic.device)",
      "EOF", "",
    ]
    try Command.check([
      "ip", "netns", "exec", names.namespace(guest.name), "sh", "-c", script.joined(separator: "\n"),
    ])
    extras.append(nic)
    try saveExtraNICs(extras, guest: guest)
    try writeStatus(guest)
    return problems
  }

  /// Unplugs a hot-plugged NIC: device and tap gone, then `port-deleted`, then the status file again.
  public func unplug(_ guestName: String, mac: LabMAC) throws -> [String] {
    let guest = placed(named: guestName)!
    if guest.domain != nil {
      try libvirt.unplug(guest, mac: mac)
      return []
    }
    var extras = extraNICs(guest)
    guard let index = extras.firstIndex(where: { $0.mac == mac }) else {
      throw LabError("\(guest.name) has no hot-plugged NIC \(mac)")
    }
    let nic = extras[index]
    let domainNIC = DomainNIC(
      mac: mac, address: nic.address.address, tap: nic.tap, mtu: guest.mtu, alias: "net\(index + 1)")
    try detachTap(nic.tap, host: guest.host)
    let problems = try portEvent(guest, nics: [domainNIC], op: "port-deleted")
    extras.remove(at: index)
    try saveExtraNICs(extras, guest: guest)
    if isRunning(guest.name) { try writeStatus(guest) }
    return problems
  }

  /// The first `vnetN` not in use on a host, as the kernel numbers libvirt's taps.
  func freeTap(host: String) -> String {
    let used = Set(LinkInventory.links(namespace: names.namespace(host)).map(\.name))
    var index = 0
    while used.contains("vnet\(index)") { index += 1 }
    return "vnet\(index)"
  }

  // MARK: Migration

  /// Live migration to `destination`, as libvirt drives the hooks: on the destination `migrate`, `prepare`,
  /// `port-created`, tap created (QEMU waits for the incoming stream), `start`, `started`, all while the guest
  /// still runs on the source: the overlap window. With `hold`, it stops there. Otherwise (or when called
  /// again for a held migration) the guest's NIC moves to the destination tap, the guest announces itself
  /// (a gratuitous ARP, as virtio-net's guest announce does), and the source runs `stopped`, loses its tap,
  /// `port-deleted`, `release`.
  /// `onSwitchover` gets how long the NIC's move took: the stand-in for QEMU's own switchover, during which
  /// the guest answers nowhere.
  public func migrate(
    _ guestName: String, to destination: String, hold: Bool, onSwitchover: ((Double) -> Void)? = nil
  ) throws -> [String] {
    let source = placed(named: guestName)!
    guard isRunning(source.name) else { throw LabError("\(source.name) is not running") }
    guard extraNICs(source).isEmpty else { throw LabError("unplug \(source.name)'s hot-plugged NICs first") }
    var warnings: [String] = []
    let tap: String
    if let words = FileSystem.read(names.migration(source.name))?.split(separator: " "), words.count == 2 {
      guard words[0] == destination else {
        throw LabError("\(source.name) is already migrating to \(words[0])")
      }
      tap = String(words[1])
    } else {
      guard source.host != destination else {
        throw LabError("\(source.name) already runs on \(destination)")
      }
      tap = try incoming(source, destination: destination)
      if hold { return ["overlap window open: \(destination) has started \(source.name) on \(tap)"] }
    }
    if hold { return ["already in the overlap window"] }
    var target = source
    target.host = destination
    target.tap = tap
    // libvirt pauses the guest on the source for the switchover (SUSPENDED_MIGRATED): what routed-hook watch
    // does there, withdrawing the source's ARP answer on the LAN before the destination's goes live.
    warnings += try handover(source, ["leaving", source.name])
    let moving = Date()
    try switchOver(from: source, to: target)
    onSwitchover?(Date().timeIntervalSince(moving))
    // The guest resumed on the destination (libvirt's RESUMED_MIGRATED): what routed-hook watch does there.
    warnings += try handover(target, ["arrived", target.name])
    try FileSystem.write("\(destination) \(tap)", to: names.placement(source.name))
    FileSystem.remove(names.migration(source.name))
    // The source side, as libvirt's qemuProcessStop after a completed migration.
    let ovsNics = nics(source)
    if let hook = hook(for: source) {
      let result = try hook.qemu(
        host: source.host, domain: source.name, op: "stopped", subop: "end", xml: xml(source))
      if !result.succeeded { warnings.append("source stopped end: \(result.failureSummary)") }
    }
    try detach(source)
    warnings += try portEvent(source, nics: ovsNics, op: "port-deleted")
    if let hook = hook(for: source) {
      let result = try hook.qemu(
        host: source.host, domain: source.name, op: "release", subop: "end", extra: "migrated",
        xml: xml(source, includeTarget: false))
      if !result.succeeded { warnings.append("source release end: \(result.failureSummary)") }
    }
    FileSystem.remove(names.statusFile(host: source.host, guest: source.name))
    return warnings
  }

  /// A handover command on the guest's host, as routed-hook watch runs it on libvirt's events: `leaving` on the
  /// source (its ARP answer on the LAN withdrawn, its claim lowered), `arrived` on the destination (its answer
  /// live, its route at the moved claim, gratuitous ARP). A hook without those commands (the reference hook of
  /// the talk's manual commands) has nothing to hand over.
  private func handover(_ guest: Guest, _ arguments: [String]) throws -> [String] {
    guard let hook = hook(host: guest.host), !hook.hookPath.hasSuffix(".sh") else { return [] }
    let result = try hook.command(host: guest.host, arguments)
    guard result.succeeded else {
      let output = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      return ["\(guest.host) \(arguments[0]) (exit \(result.status)): \(output)"]
    }
    return []
  }

  /// The destination half of an incoming migration, up to `started`; returns the destination tap.
  private func incoming(_ source: Guest, destination: String) throws -> String {
    guard let hook = hook(host: destination) else { throw LabError("\(destination) has no routed-hook") }
    let tap = freeTap(host: destination)
    var target = source
    target.host = destination
    target.tap = tap
    let host = topology.host(named: destination)!
    func call(_ op: String) throws {
      let result = try hook.qemu(
        host: destination, domain: target.name, op: op, subop: "begin", xml: xml(target))
      guard result.succeeded, result.stdout.isEmpty || op == "migrate" else {
        let output = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        throw LabError("destination \(destination) refused \(op) begin (exit \(result.status)): \(output)")
      }
      if op == "migrate", !result.stdout.isEmpty {
        throw LabError(
          "routed-hook migrate begin on \(destination) wrote XML to stdout; libvirt would use it")
      }
    }
    try call("migrate")
    do {
      try call("prepare")
      try portEvents([target], op: "port-created")
      // QEMU on the destination opens its tap and waits for the migration stream: a tap with no reader.
      try Command.check(["ip", "-n", names.namespace(destination), "tuntap", "add", tap, "mode", "tap"])
      try Command.check(
        ["ip", "-n", names.namespace(destination), "-b", "-"],
        stdin: plan.tapLines(target, switchConfig: host.switchConfig).joined(separator: "\n") + "\n")
      if host.switchConfig.kind == .ovs {
        let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
        try Command.check(ovs.vsctl(plan.ovsPortArguments([target], bridge: host.switchConfig.bridge)))
      }
      try call("start")
      try writeStatus(target)
      try call("started")
    } catch {
      // libvirt's failed incoming migration: the destination stops, and the guest stays where it was.
      _ = try? hook.qemu(
        host: destination, domain: target.name, op: "stopped", subop: "end", xml: xml(target))
      try? detachTap(tap, host: destination)
      _ = try? portEvent(target, nics: nics(target), op: "port-deleted")
      _ = try? hook.qemu(
        host: destination, domain: target.name, op: "release", subop: "end", extra: "failed",
        xml: xml(target, includeTarget: false))
      FileSystem.remove(names.statusFile(host: destination, guest: target.name))
      throw error
    }
    try FileSystem.write("\(destination) \(tap)", to: names.migration(source.name))
    return tap
  }

  /// The guest's NIC moves from the source tap to the destination: the waiting tap is replaced by a veth
  /// whose other end becomes the guest's eth0, configured as before, and the guest announces itself.
  private func switchOver(from source: Guest, to target: Guest) throws {
    let host = topology.host(named: target.host)!
    let destination = names.namespace(target.host)
    let guestNamespace = names.namespace(target.name)
    if host.switchConfig.kind == .ovs {
      let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
      try Command.check(ovs.vsctl(["--", "--if-exists", "del-port", host.switchConfig.bridge, target.tap]))
    }
    try Command.check(["ip", "-n", destination, "link", "del", target.tap])
    try Command.check(
      ["ip", "-b", "-"],
      stdin:
        "link add \(target.tap) netns \(destination) type veth peer name eth0new netns \(guestNamespace)\n")
    try Command.check(
      ["ip", "-n", destination, "-b", "-"],
      stdin: plan.tapLines(target, switchConfig: host.switchConfig).joined(separator: "\n") + "\n")
    if host.switchConfig.kind == .ovs {
      let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
      try Command.check(ovs.vsctl(plan.ovsPortArguments([target], bridge: host.switchConfig.bridge)))
    }
    // The old eth0 goes with the source tap (one veth pair); the new one takes its name and configuration.
    try Command.check(["ip", "-n", guestNamespace, "link", "del", GuestNIC.name])
    try Command.check(["ip", "-n", guestNamespace, "link", "set", "eth0new", "name", GuestNIC.name])
    try Command.check(
      [
        "ip", "netns", "exec", guestNamespace, "sh", "-c",
        plan.guestScript(target, switchKind: host.switchConfig.kind, migrated: true),
      ])
    _ = try Command.run(
      [
        "ip", "netns", "exec", guestNamespace, "arping", "-U", "-c", "1", "-I", GuestNIC.name,
        target.address.address.description,
      ], timeout: 5)
  }

  // MARK: NICs

  private func callHook(_ guests: [Guest], op: String, subop: String, failures: inout [String]) throws
    -> [Guest]
  {
    var passed: [Guest] = []
    for guest in guests {
      guard let hook = hook(for: guest) else {
        passed.append(guest)
        continue
      }
      let result = try hook.qemu(host: guest.host, domain: guest.name, op: op, subop: subop, xml: xml(guest))
      if !result.succeeded {
        let reason = result.timedOut ? "timed out" : "exit \(result.status)"
        let output = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        failures.append(
          "routed-hook \(op) \(subop) for \(guest.name) on \(guest.host) failed (\(reason)): \(output)")
      } else if !result.stdout.isEmpty {
        failures.append(
          "routed-hook \(op) \(subop) for \(guest.name) wrote to stdout, which libvirt reads as XML")
      } else {
        passed.append(guest)
      }
    }
    return passed
  }

  /// Creates the guests' NICs: veth pairs, tap side in the host (OVS port or bridge member), guest side configured.
  func attach(_ guests: [Guest]) throws {
    guard !guests.isEmpty else { return }
    let plan = self.plan
    try Command.check(["ip", "-b", "-"], stdin: guests.map { plan.nicLink($0).batchLine + "\n" }.joined())
    let byHost = Dictionary(grouping: guests, by: \.host)
    try Parallel.forEach(Array(byHost.keys)) { hostName in
      let host = topology.host(named: hostName)!
      let lines = byHost[hostName]!.flatMap { plan.tapLines($0, switchConfig: host.switchConfig) }
      try Command.check(
        ["ip", "-n", names.namespace(hostName), "-b", "-"], stdin: lines.joined(separator: "\n") + "\n")
      if host.switchConfig.kind == .ovs {
        let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
        try Command.check(
          ovs.vsctl(plan.ovsPortArguments(byHost[hostName]!, bridge: host.switchConfig.bridge)))
      }
    }
    try Parallel.forEach(guests) { guest in
      let kind = topology.host(named: guest.host)!.switchConfig.kind
      try Command.check(
        [
          "ip", "netns", "exec", names.namespace(guest.name), "sh", "-c",
          plan.guestScript(guest, switchKind: kind),
        ])
    }
  }

  /// Removes a guest's NIC the way libvirt tears down a tap: port out of the switch, link deleted.
  func detach(_ guest: Guest) throws { try detachTap(guest.tap, host: guest.host) }

  func detachTap(_ tap: String, host hostName: String) throws {
    let host = topology.host(named: hostName)!
    if host.switchConfig.kind == .ovs {
      let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
      try Command.check(ovs.vsctl(["--", "--if-exists", "del-port", host.switchConfig.bridge, tap]))
    }
    let namespace = names.namespace(hostName)
    if LinkInventory.links(namespace: namespace).contains(where: { $0.name == tap }) {
      try Command.check(["ip", "-n", namespace, "link", "del", tap])
    }
  }
}
