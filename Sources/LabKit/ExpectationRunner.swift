/// Checks one expectation against the running lab and says what it measured.
public struct ExpectationRunner: Sendable {
  public let topology: Topology
  public let names: LabNames
  /// nil when no routed-hook is available; hook status rows then fail with that reason.
  public let hook: HookDriver?

  public init(topology: Topology, names: LabNames, hook: HookDriver?) {
    self.topology = topology
    self.names = names
    self.hook = hook
  }

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
    case .reach(let from, let to, let probeKinds, let port, let expected):
      return try reach(from: from, to: to, probes: probeKinds, port: port ?? defaultPort, expected: expected)
    case .arp(let from, let target, let answeredBy):
      return try arp(from: from, target: target, answeredBy: answeredBy)
    case .nat(let from, let to, let source, let port):
      let expectedSource = address(of: .interface(source))!
      let outcome = try tcp(from: from, to: to, port: port ?? defaultPort)
      guard case .connected(let seen) = outcome else {
        return Outcome(passed: false, measured: outcome.summary)
      }
      return Outcome(
        passed: seen == expectedSource, measured: "far end saw \(seen.map(\.description) ?? "nothing")")
    case .path(let from, let to, let via, let notVia, let count):
      return try path(from: from, to: to, via: via, notVia: notVia, count: count)
    case .pmtu(let from, let to, let size, let fits):
      let result = try probes.ping(
        from: from, to: address(of: to)!, count: 1, size: size, dontFragment: true, deadline: 3)
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
    case .gone(let guestName):
      return try gone(guestName)
    }
  }

  /// The address a target stands for.
  func address(of target: Target) -> LabAddress? {
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
      client: names.namespace(from), server: names.namespace(server), address: address(of: to)!, port: port)
  }

  private func reach(from: String, to: Target, probes kinds: [Probe], port: Int, expected: Bool) throws
    -> Outcome
  {
    let destination = address(of: to)!
    var reached: [Bool] = []
    var measured: [String] = []
    if kinds.contains(.ping) {
      // A reach waits up to 3 s for the first reply; a no-reach gives the packets 1 s to sneak through.
      let result = try probes.ping(from: from, to: destination, count: 1, deadline: expected ? 3 : 1)
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

  private func arp(from: String, target: Target, answeredBy: InterfaceRef?) throws -> Outcome {
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
    guard let answeredBy else { return Outcome(passed: macs.isEmpty, measured: shown) }
    guard let expectedMAC = probes.mac(node: answeredBy.node, interface: answeredBy.interface) else {
      return Outcome(passed: false, measured: "\(answeredBy) not found; \(shown)")
    }
    return Outcome(passed: macs == [expectedMAC], measured: shown)
  }

  /// A MAC with the lab interface it belongs to, when it is one.
  private func describe(mac: String) -> String {
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
    return Probes.tokens(result.stdout)
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
    let guest = topology.guest(named: guestName)!
    let address = guest.address.address
    let routes = try probes.routes(node: guest.host, to: address)
    let proxies = try probes.proxyNeighbours(node: guest.host, address: address)
    let nft = Probes.tokens(try probes.nftRuleset(node: guest.host)).contains(address.description)
    var listed = false
    var statusNote = "status: absent"
    do {
      listed = mentions(try hookStatusTokens(host: guest.host), guestName)
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
}
