import Foundation

/// Starts, stops and reconnects guests the way libvirt's qemu driver does, calling the hook at each step.
public struct GuestLifecycle: Sendable {
  public let topology: Topology
  public let names: LabNames
  /// nil runs no hook at all (`up --no-hook`): the guests get their NICs, the host gets no routing.
  public let hook: HookDriver?

  /// The hook for a guest's host; hosts without a hook config have no routed-hook installed.
  func hook(for guest: Guest) -> HookDriver? {
    topology.host(named: guest.host)?.hook == nil ? nil : hook
  }

  public init(topology: Topology, names: LabNames, hook: HookDriver?) {
    self.topology = topology
    self.names = names
    self.hook = hook
  }

  var plan: BuildPlan { BuildPlan(topology: topology, names: names) }

  /// True when the lab started the guest and has not stopped it since.
  public func isRunning(_ guest: String) -> Bool { FileSystem.exists(names.runningMarker(guest)) }

  /// The guests that are running now, in topology order.
  public var runningGuests: [Guest] { topology.guests.filter { isRunning($0.name) } }

  func xml(_ guest: Guest, includeTarget: Bool = true) -> String {
    let host = topology.host(named: guest.host)!
    let id = (topology.guests.firstIndex(of: guest) ?? 0) + 1
    return DomainXML.make(
      guest: guest, lab: topology.lab, bridge: host.switchConfig.bridge, switchKind: host.switchConfig.kind,
      id: id,
      includeTarget: includeTarget)
  }

  /// Starts guests: prepare, NIC attached, start, started, each step for all guests before the next.
  /// A failing step runs libvirt's failed-start path (stopped, release) for that guest and is reported.
  public func start(_ guests: [Guest]) throws {
    var failures: [String] = []
    var pending = guests
    pending = try callHook(pending, op: "prepare", subop: "begin", failures: &failures)
    try attach(pending)
    pending = try callHook(pending, op: "start", subop: "begin", failures: &failures)
    pending = try callHook(pending, op: "started", subop: "begin", failures: &failures)
    for guest in pending { try FileSystem.write("", to: names.runningMarker(guest.name)) }
    let failed = guests.filter { guest in !pending.contains(guest) }
    for guest in failed { _ = try? stop(guest, reason: "failed") }
    if !failures.isEmpty { throw LabError(failures.joined(separator: "\n")) }
  }

  /// Stops a guest: `stopped end -`, NIC removed, `release end <reason>`. Hook failures here are only
  /// warnings, as libvirt ignores them too; they are returned for the caller to print.
  @discardableResult
  public func stop(_ guest: Guest, reason: String = "destroyed") throws -> [String] {
    var warnings: [String] = []
    if let hook = hook(for: guest) {
      let result = try hook.qemu(
        host: guest.host, domain: guest.name, op: "stopped", subop: "end", xml: xml(guest))
      if !result.succeeded { warnings.append("stopped end for \(guest.name): \(result.failureSummary)") }
    }
    try detach(guest)
    if let hook = hook(for: guest) {
      let result = try hook.qemu(
        host: guest.host, domain: guest.name, op: "release", subop: "end", extra: reason,
        xml: xml(guest, includeTarget: false))
      if !result.succeeded { warnings.append("release end for \(guest.name): \(result.failureSummary)") }
    }
    FileSystem.remove(names.runningMarker(guest.name))
    return warnings
  }

  /// libvirtd restarted: `reconnect begin -` per running guest of the host. libvirt kills a guest whose
  /// reconnect fails, so the lab stops it too and reports it as lost.
  public func restartDaemon(host: String) throws {
    guard let hook, topology.host(named: host)?.hook != nil else { return }
    var lost: [String] = []
    for guest in runningGuests where guest.host == host {
      let result = try hook.qemu(
        host: host, domain: guest.name, op: "reconnect", subop: "begin", xml: xml(guest))
      if !result.succeeded {
        lost.append("\(guest.name) was killed (reconnect failed): \(result.failureSummary)")
        _ = try? stop(guest, reason: "crashed")
      }
    }
    if !lost.isEmpty { throw LabError(lost.joined(separator: "\n")) }
  }

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
  func detach(_ guest: Guest) throws {
    let host = topology.host(named: guest.host)!
    if host.switchConfig.kind == .ovs {
      let ovs = OVSDaemons(names: names, host: host, journal: Journal(names: names))
      try Command.check(ovs.vsctl(["--", "--if-exists", "del-port", host.switchConfig.bridge, guest.tap]))
    }
    let namespace = names.namespace(guest.host)
    if LinkInventory.links(namespace: namespace).contains(where: { $0.name == guest.tap }) {
      try Command.check(["ip", "-n", namespace, "link", "del", guest.tap])
    }
  }
}
