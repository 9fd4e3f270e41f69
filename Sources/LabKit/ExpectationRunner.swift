import Foundation
import RoutedCore

/// Checks one expectation against the running lab and says what it measured.
public struct ExpectationRunner: Sendable {
  public let topology: Topology
  public let names: LabNames
  /// nil when no routed-hook is available; hook status rows then fail with that reason.
  public let hook: HookDriver?

  /// The verdict on one expectation.
  public struct Outcome: Sendable, Equatable {
    public var passed: Bool
    /// What the tools saw, for the table ("ping 2/2, tcp connected").
    public var measured: String
  }

  var probes: Probes { Probes(names: names) }

  /// Checks one expectation; `port` is the TCP port used where the expectation names none.
  public func check(_ expectation: Expectation, port: Int = 7) -> Outcome {
    do {
      return try evaluate(expectation.kind, defaultPort: port)
    } catch {
      return Outcome(passed: false, measured: "error: \(error)")
    }
  }

  private func evaluate(_ kind: ExpectationKind, defaultPort: Int) throws -> Outcome {
    switch kind {
    case .reach(let from, let to, let probeKinds, let port, let expected, let size):
      return try reach(
        from: from, to: to, probes: probeKinds, port: port ?? defaultPort, expected: expected, size: size)
    case .arp(let from, let target, let answeredBy):
      return try arp(from: from, target: target, answeredBy: answeredBy)
    case .nat(let from, let to, let source, let port):
      let expectedSource = address(of: .interface(source))!
      let outcome = try tcp(from: from, to: to, port: port ?? defaultPort)
      guard case .connected(let seen) = outcome else {
        return Outcome(passed: false, measured: outcome.summary)
      }
      return Outcome(
        passed: seen == .v4(expectedSource), measured: "far end saw \(seen.map(\.description) ?? "nothing")")
    case .path(let from, let to, let via, let notVia, let count):
      return try path(from: from, to: to, via: via, notVia: notVia, count: count)
    case .pmtu(let from, let to, let size, let fits):
      let result = try probes.ping(
        from: from, to: address(of: to)!, count: 1, size: size, pmtu: "do", deadline: 3)
      if fits {
        return Outcome(
          passed: result.received == 1,
          measured: result.received == 1 ? "\(size) B with DF got through" : result.error ?? "no reply")
      }
      // "Fails cleanly": an ICMP frag-needed or a local EMSGSIZE, not a silent loss.
      let clean = result.error.map { $0.contains("Frag needed") || $0.contains("too long") } ?? false
      return Outcome(
        passed: result.received == 0 && clean,
        measured: result.received > 0 ? "\(size) B got through" : result.error ?? "silently lost")
    case .hookStatus(let host, let lists, let lacks):
      return try hookStatus(host: host, lists: lists, lacks: lacks)
    case .bgp(let host, let sessions, let learns, let lacks, let within):
      return try bgp(host: host, sessions: sessions, learns: learns, lacks: lacks, within: within)
    case .gone(let guestName):
      return try gone(guestName)
    case .goneAddress(let host, let address):
      return try gone(address: address, host: host, guestName: nil)
    case .drops(let from, let to, let size, let on):
      return try drops(from: from, to: to, size: size, on: on)
    case .doctor(let host, let finding, let lacks, let critical):
      return try doctor(host: host, finding: finding, lacks: lacks, critical: critical)
    case .libvirtLog(let host, let called):
      return libvirtLog(host: host, called: called)
    case .hookMatchesLibvirt(let host):
      let guests = topology.host(named: host)!.guests
      let running = guests.filter { libvirtGuests.isRunning($0) }.map(\.name)
      let outcome = try hookStatus(
        host: host, lists: running, lacks: guests.map(\.name).filter { !running.contains($0) })
      return Outcome(
        passed: outcome.passed,
        measured: "libvirt runs \(running.joined(separator: ", ")); \(outcome.measured)")
    case .refused(let host, let guest, let config, let peer, let message):
      return try refused(host: host, guest: guest, config: config, peer: peer, message: message)
    case .initConfig(let host):
      return try initConfig(host: host)
    case .watching(let host, let connects):
      return try watching(host: host, connects: connects)
    case .ipv6(let row):
      return try evaluate(row, defaultPort: defaultPort)
    }
  }

  var lifecycle: GuestLifecycle { GuestLifecycle(topology: topology, names: names, hook: hook) }
  var libvirtGuests: LibvirtGuests {
    LibvirtGuests(topology: topology, names: names, hookPath: hook?.hookPath ?? "")
  }

  /// routed-hook's runs as libvirtd logged them: every op in `called` seen, no failure at all.
  private func libvirtLog(host: String, called: [String]) -> Outcome {
    var runs = libvirtGuests.hookRuns(host: host)
    var missing = called.filter { !runs.ops.contains($0) }
    // libvirtd runs some hooks after it answers (reconnect, in a thread per domain): give them 5 s.
    for _ in 0..<50 where !missing.isEmpty {
      usleep(100_000)
      runs = libvirtGuests.hookRuns(host: host)
      missing = called.filter { !runs.ops.contains($0) }
    }
    var measured = "ops seen: \(runs.ops.joined(separator: " "))"
    if !missing.isEmpty { measured += "; never called: \(missing.joined(separator: " "))" }
    if let failure = runs.failures.first { measured += "; \(runs.failures.count) failure(s): \(failure)" }
    return Outcome(passed: missing.isEmpty && runs.failures.isEmpty && !runs.ops.isEmpty, measured: measured)
  }

  /// Polls BIRD's sessions and the kernel's BIRD routes until they match or `within` seconds pass.
  private func bgp(host: String, sessions: Int?, learns: [String], lacks: [String], within: Double) throws
    -> Outcome
  {
    let bird = BirdDaemon(names: names, host: host, journal: Journal(names: names))
    // A dual-stack guest is learned as its /32 and its /128 (IPv6 sessions carry the /128s).
    func addresses(_ guests: [String]) -> [String] {
      guests.flatMap { name -> [String] in
        guard let guest = topology.guest(named: name) else { return [] }
        return [guest.address.address.description] + (guest.address6.map { [$0.address.description] } ?? [])
      }
    }
    let wanted = addresses(learns)
    let unwanted = addresses(lacks)
    let start = Date()
    while true {
      let established = (try? bird.sessions())?.filter { $0.state == "Established" }.count ?? 0
      var routes = Set<String>()
      for family in topology.usesIPv6 ? ["-4", "-6"] : ["-4"] {
        let output = try Command.check(
          ["ip", "-n", names.namespace(host), family, "-j", "route", "show", "proto", "bird"])
        routes.formUnion((JSON(tool: output)?.items ?? []).compactMap { $0["dst"]?.string })
      }
      let missing = wanted.filter { !routes.contains($0) }
      let extra = unwanted.filter { routes.contains($0) }
      let elapsed = Date().timeIntervalSince(start)
      let passed = missing.isEmpty && extra.isEmpty && (sessions == nil || sessions == established)
      if passed || elapsed > within {
        var measured = "\(established) sessions up, \(routes.count) BIRD routes"
        if !missing.isEmpty { measured += "; missing \(missing.joined(separator: ", "))" }
        if !extra.isEmpty { measured += "; still routed: \(extra.joined(separator: ", "))" }
        measured += String(format: passed ? " (after %.2f s)" : " (gave up after %.0f s)", elapsed)
        return Outcome(passed: passed, measured: measured)
      }
      usleep(20000)
    }
  }

  /// The address a target stands for.
  func address(of target: Target) -> IPv4Address? {
    switch target {
    case .address(let address): return address
    case .node(let name): return topology.primaryAddress(of: name)
    case .interface(let ref):
      if let guest = topology.guest(named: ref.node) { return guest.address.address }
      return topology.attachments(of: ref.node).first { $0.name == ref.interface }?.address?.address
    }
  }

  /// The node that owns an address, to put the TCP listener in.
  func owner(of target: Target) -> String? {
    switch target {
    case .node(let name): return name
    case .interface(let ref): return ref.node
    case .address(let address):
      if let guest = topology.guests.first(where: { $0.address.address == address }) { return guest.name }
      let nodes = topology.hosts.map(\.name) + topology.machines.map(\.name)
      return nodes.first { node in topology.attachments(of: node).contains { $0.address?.address == address }
      }
    }
  }

  private func tcp(from: String, to: Target, port: Int) throws -> TCPProbe.Outcome {
    guard let server = owner(of: to) else { return .failed("no node owns \(to) to listen there") }
    return try TCPProbe.connect(
      client: names.namespace(from), server: names.namespace(server), address: .v4(address(of: to)!), port: port)
  }

  private func reach(from: String, to: Target, probes kinds: [Probe], port: Int, expected: Bool, size: Int?)
    throws -> Outcome
  {
    let destination = address(of: to)!
    var reached: [Bool] = []
    var measured: [String] = []
    if let guest = topology.guest(named: from), guest.domain == .qemu {
      let (sent, received) = try libvirtGuests.ping(
        from: lifecycle.placed(guest), to: destination, count: 1, deadline: expected ? 3 : 1)
      let passed = expected ? received > 0 : received == 0
      return Outcome(passed: passed, measured: "ping \(received)/\(sent) (serial console)")
    }
    if kinds.contains(.ping) {
      // A reach waits up to 3 s for the first reply; a no-reach gives the packets 1 s to sneak through.
      let result = try probes.ping(
        from: from, to: destination, count: 1, size: size, pmtu: size == nil ? nil : "dont",
        deadline: expected ? 3 : 1)
      reached.append(result.received > 0)
      var text = "ping \(result.received)/\(result.sent)"
      if result.received == 0, let error = result.error { text += " (\(error))" }
      measured.append(text)
    }
    if kinds.contains(.tcp) {
      let outcome = try tcp(from: from, to: to, port: port)
      if case .connected = outcome { reached.append(true) } else { reached.append(false) }
      measured.append(outcome.summary)
    }
    let passed = expected ? reached.allSatisfy { $0 } : reached.allSatisfy { !$0 }
    return Outcome(passed: passed, measured: measured.joined(separator: "; "))
  }

  private func arp(from: String, target: Target, answeredBy: [InterfaceRef]) throws -> Outcome {
    let destination = address(of: target)!
    let attachments = topology.attachments(of: from)
    let interface =
      topology.guest(named: from) != nil
      ? GuestNIC.name
      : (attachments.first { $0.address?.network.contains(destination) ?? false } ?? attachments.first)?.name
    guard let interface else {
      return Outcome(passed: false, measured: "\(from) has no interface to arping from")
    }
    let macs = try probes.arping(from: from, interface: interface, address: destination)
    let shown =
      macs.isEmpty ? "no answer" : "answered by \(macs.map { describe(mac: $0) }.joined(separator: ", "))"
    let (expected, missing) = expectedMACs(answeredBy)
    if let missing { return Outcome(passed: false, measured: "\(missing) not found; \(shown)") }
    return Outcome(passed: Set(macs) == expected && macs.count == expected.count, measured: shown)
  }

  /// The MACs of the interfaces an ARP or NDP row expects to answer, and the first of them the lab does not
  /// have (a typo in the topology), if any.
  func expectedMACs(_ answeredBy: [InterfaceRef]) -> (macs: Set<String>, missing: InterfaceRef?) {
    var expected: Set<String> = []
    for ref in answeredBy {
      guard let mac = probes.mac(node: ref.node, interface: ref.interface) else { return (expected, ref) }
      expected.insert(mac)
    }
    return (expected, nil)
  }

  /// A MAC with the lab interface it belongs to, when it is one.
  func describe(mac: String) -> String {
    for node in topology.hosts.map(\.name) + topology.machines.map(\.name) {
      for link in LinkInventory.links(namespace: names.namespace(node)) where link.mac?.lowercased() == mac {
        return "\(mac) (\(node).\(link.name))"
      }
    }
    return mac
  }

  private func path(from: String, to: Target, via: [InterfaceRef], notVia: [InterfaceRef], count: Int) throws
    -> Outcome
  {
    let watched = via + notVia
    // One ping first, so ARP on every hop is resolved before the counted ones.
    _ = try probes.ping(from: from, to: address(of: to)!, count: 1)
    let before = try watched.map { try probes.packets(node: $0.node, interface: $0.interface) }
    let ping = try probes.ping(from: from, to: address(of: to)!, count: count, interval: "0.01")
    let after = try watched.map { try probes.packets(node: $0.node, interface: $0.interface) }
    let deltas = zip(before, after).map { $1 - $0 }
    // Every request and reply crosses each `via` link once; stray ARP or other noise stays well below count/2.
    let viaOK = deltas.prefix(via.count).allSatisfy { $0 >= count }
    let notViaOK = deltas.dropFirst(via.count).allSatisfy { $0 < count / 2 }
    let counters = zip(watched, deltas).map { "\($0.description) +\($1)" }.joined(separator: ", ")
    return Outcome(
      passed: ping.received == count && viaOK && notViaOK,
      measured: "ping \(ping.received)/\(count); packets \(counters)")
  }

  private func hookStatusTokens(host: String) throws -> Set<String> {
    guard let hook else { throw LabError("no routed-hook to ask") }
    let result = try hook.status(host: host)
    guard result.succeeded else { throw LabError(result.failureSummary) }
    // Routes BIRD learned from peers are listed too, but they are other hosts' guests, not this host's.
    guard let report = JSON(tool: result.stdout) else { return Probes.tokens(result.stdout) }
    // The watch daemon's view names objects of past repairs, not what runs now.
    return Probes.tokens(JSON.object(report.members.filter { $0.key != "learned" && $0.key != "watch" }).text())
  }

  /// True when status output names the guest, by name, address or MAC.
  private func mentions(_ tokens: Set<String>, _ guestName: String) -> Bool {
    guard let guest = topology.guest(named: guestName) else { return false }
    return tokens.contains(guest.name) || tokens.contains(guest.address.address.description)
      || tokens.contains(guest.mac.description)
  }

  private func hookStatus(host: String, lists: [String], lacks: [String]) throws -> Outcome {
    let tokens = try hookStatusTokens(host: host)
    let missing = lists.filter { !mentions(tokens, $0) }
    let present = lacks.filter { mentions(tokens, $0) }
    var measured: [String] = []
    measured.append(missing.isEmpty ? "lists all" : "missing \(missing.joined(separator: ", "))")
    if !lacks.isEmpty {
      measured.append(
        present.isEmpty ? "none it should lack" : "still lists \(present.joined(separator: ", "))")
    }
    return Outcome(passed: missing.isEmpty && present.isEmpty, measured: measured.joined(separator: "; "))
  }

  private func gone(_ guestName: String) throws -> Outcome {
    let guest = lifecycle.placed(named: guestName)!
    let outcome = try gone(address: guest.address.address, host: guest.host, guestName: guestName)
    guard let address6 = guest.address6?.address else { return outcome }
    let v6 = try gone6(address: address6, host: guest.host)
    return Outcome(passed: outcome.passed && v6.passed, measured: "\(outcome.measured); \(v6.measured)")
  }

  /// No route, proxy neighbour or nft mention of `address` on `host`; with a guest, not in hook status either.
  private func gone(address: IPv4Address, host: String, guestName: String?) throws -> Outcome {
    let routes = try probes.routes(node: host, to: address)
    let proxies = try probes.proxyNeighbours(node: host, address: address)
    let nft = Probes.tokens(try probes.nftRuleset(node: host)).contains(address.description)
    var listed = false
    var statusNote = "status: absent"
    do {
      let tokens = try hookStatusTokens(host: host)
      listed = guestName.map { mentions(tokens, $0) } ?? tokens.contains(address.description)
      if listed { statusNote = "status: still listed" }
    } catch {
      statusNote = "status: \(error)"
      listed = true
    }
    let passed = routes.isEmpty && proxies == 0 && !nft && !listed
    return Outcome(
      passed: passed,
      measured:
        "\(statusNote); routes \(routes.count); proxy neigh \(proxies); nft \(nft ? "mentions it" : "clean")")
  }

  /// A large ping without DF that gets no reply while the named interfaces count new errors or drops, or
  /// (for a port of a host's userspace OVS, which counts nothing) while OVS logs a send error on it.
  private func drops(from: String, to: Target, size: Int, on: [InterfaceRef]) throws -> Outcome {
    let before = try on.map { try probes.errorsAndDrops(node: $0.node, interface: $0.interface) }
    let logsBefore = on.map { ovsSendErrors($0) }
    let result = try probes.ping(
      from: from, to: address(of: to)!, count: 3, size: size, pmtu: "dont", deadline: 3)
    let after = try on.map { try probes.errorsAndDrops(node: $0.node, interface: $0.interface) }
    let logsAfter = on.map { ovsSendErrors($0) }
    let deltas = zip(before, after).map { $1 - $0 }
    let logged = zip(logsBefore, logsAfter).map { $1.count - $0.count }
    var evidence = zip(on, deltas).map { "\($0.description) +\($1)" }
    for (ref, count) in zip(on, logged) where count > 0 {
      evidence.append("OVS: \(count)× \"\(logsAfter[on.firstIndex(of: ref)!].last!)\"")
    }
    return Outcome(
      passed: result.received == 0 && (deltas.reduce(0, +) > 0 || logged.reduce(0, +) > 0),
      measured: "ping \(result.received)/\(result.sent); errors+drops \(evidence.joined(separator: ", "))")
  }

  /// Lines of a host's ovs-vswitchd log that report a failed send on one of its ports.
  private func ovsSendErrors(_ ref: InterfaceRef) -> [String] {
    guard topology.host(named: ref.node)?.switchConfig.kind == .ovs,
      let log = FileSystem.read("\(names.ovsDirectory(ref.node))/ovs-vswitchd.log")
    else { return [] }
    return log.split(separator: "\n").filter {
      $0.contains("error sending Ethernet packet on \(ref.interface):")
    }
    .map { String($0.split(separator: "|").last ?? "") }
  }

  /// `routed-hook doctor --json` in the host's namespace, with `--config` when the host has a hook config.
  private func doctor(host: String, finding: String?, lacks: [String], critical: Bool?) throws -> Outcome {
    guard let hook else { throw LabError("no routed-hook to ask") }
    var arguments = ["doctor", "--json"]
    if let node = topology.host(named: host), node.config != nil {
      arguments += ["--config", names.config(of: node)]
    }
    // The host's OVS is private: doctor finds its database only when told where it is.
    if topology.host(named: host)?.switchConfig.kind == .ovs {
      arguments += ["--ovs-db", "unix:\(names.ovsSocket(host))"]
    }
    let result = try hook.command(host: host, arguments)
    guard let findings = JSON(tool: result.stdout)?["findings"]?.array else {
      let said =
        (result.stderr.isEmpty ? result.stdout : result.stderr).split(separator: "\n").first ?? "no output"
      return Outcome(passed: false, measured: "no findings JSON (exit \(result.status)): \(said)")
    }
    let ids = findings.compactMap { $0["id"]?.string }
    let criticalFound = findings.contains { $0["severity"]?.string == "critical" }
    var passed = true
    if let finding, !ids.contains(finding) { passed = false }
    if lacks.contains(where: ids.contains) { passed = false }
    if let critical, critical != criticalFound || (result.status == 1) != critical { passed = false }
    // One entry per id, in doctor's order, with a count when it names several objects.
    var named: [String] = []
    for item in findings {
      let id = item["id"]?.string ?? "?"
      let label = "\(id) (\(item["severity"]?.string ?? "?"))"
      if named.contains(where: { $0.hasPrefix(label) }) { continue }
      let count = findings.filter { $0["id"]?.string == id }.count
      named.append(count > 1 ? "\(label) ×\(count)" : label)
    }
    var measured = "exit \(result.status); " + (named.isEmpty ? "no findings" : named.joined(separator: ", "))
    if let finding, let item = findings.first(where: { $0["id"]?.string == finding }),
      let summary = item["summary"]?.string
    {
      measured += "; \(finding): \(summary)"
    }
    return Outcome(passed: passed, measured: measured)
  }

  /// The intent expressed in routed-hook's terms, refused: `prepare` of a guest, or `check` of a config.
  private func refused(
    host: String, guest: String?, config: HookConfigSource?, peer: String?, message: String
  )
    throws -> Outcome
  {
    guard let hook else { throw LabError("no routed-hook to ask") }
    let node = topology.host(named: host)!
    var path = names.config(of: node)
    if let config {
      path = names.scratchConfig(host, String(StableUUID.make(from: message).prefix(8)))
      try LabBuilder(topology: topology, names: names, hook: nil, sourcePath: nil).write(config, to: path)
    }
    let result: CommandResult
    if let guest {
      // The guest as it would be defined on this host (its own host's tap name does not matter for prepare).
      var placed = lifecycle.placed(named: guest)!
      placed.host = host
      result = try hook.qemu(
        host: host, domain: guest, op: "prepare", subop: "begin", xml: lifecycle.xml(placed),
        config: node.hook == nil || config != nil ? path : nil)
    } else {
      // Copies named after the hosts, since `check --peer` names each side by its file name.
      // One directory per row: rows run side by side.
      let directory = "\(names.hostDirectory(host))/check-\(StableUUID.make(from: message).prefix(8))"
      let mine = "\(directory)/\(host).yaml"
      try FileSystem.write(FileSystem.read(path) ?? "", to: mine)
      var arguments = ["check", "--config", mine]
      if let peer {
        let theirs = "\(directory)/\(peer).yaml"
        try FileSystem.write(FileSystem.read(names.config(of: topology.host(named: peer)!)) ?? "", to: theirs)
        arguments += ["--peer", theirs]
      }
      result = try hook.command(host: host, arguments)
    }
    let output = (result.stderr + "\n" + result.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
    let line =
      output.split(separator: "\n").first { $0.contains(message) }.map(String.init)
      ?? output.split(separator: "\n").first.map(String.init) ?? "no output"
    return Outcome(
      passed: !result.succeeded && output.contains(message), measured: "exit \(result.status): \(line)")
  }
}
