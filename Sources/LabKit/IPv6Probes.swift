import Foundation
import RoutedCore

/// How the IPv6 rows are observed, with the same independent tools as the IPv4 rows: `ping`, a TCP connect
/// between two namespaces, `ip -j`, `nft -j`, and for neighbour discovery `ndisc6` (which sends the
/// solicitation) with `tcpdump` (which sees every advertisement: `ndisc6` itself ignores a proxy's answer,
/// which has no override flag).
extension ExpectationRunner {
  func evaluate(_ row: IPv6Expectation, defaultPort: Int) throws -> Outcome {
    switch row {
    case .reach(let from, let to, let kinds, let expected):
      guard let destination = address6(of: to) else { return Outcome(passed: false, measured: "\(to) has no IPv6 address") }
      var reached: [Bool] = []
      var measured: [String] = []
      if kinds.contains(.ping) {
        // A literal target keeps its zone (`fe80::1%eth0`): ping needs it for a link-local address.
        let text = if case .address = to { to.description } else { destination.description }
        let (sent, received) = try ping6(from: from, to: text, deadline: expected ? 3 : 1)
        reached.append(received > 0)
        measured.append("ping \(received)/\(sent)")
      }
      if kinds.contains(.tcp) {
        let outcome = try tcp6(from: from, to: to, port: defaultPort)
        if case .connected = outcome { reached.append(true) } else { reached.append(false) }
        measured.append(outcome.summary)
      }
      let passed = expected ? reached.allSatisfy { $0 } : reached.allSatisfy { !$0 }
      return Outcome(passed: passed, measured: measured.joined(separator: ", "))
    case .nat(let from, let to, let source):
      guard let expected = address6(of: .interface(source)) else {
        return Outcome(passed: false, measured: "\(source) has no IPv6 address")
      }
      let outcome = try tcp6(from: from, to: to, port: defaultPort)
      guard case .connected(let seen) = outcome else { return Outcome(passed: false, measured: outcome.summary) }
      return Outcome(passed: seen == .v6(expected), measured: "far end saw \(seen.map(\.description) ?? "nothing")")
    case .ndp(let from, let target, let answeredBy):
      return try ndp(from: from, target: target, answeredBy: answeredBy)
    case .spoof(let from, let to, let source):
      return try spoof(from: from, to: to, source: source)
    case .dad(let guest, let address, let fails):
      return try dad(guest: guest, address: address, fails: fails)
    case .entry(let on, let target, let holds):
      return try entry(on: on, target: target, holds: holds)
    }
  }

  /// Reads the entry as it is: no ping, no flush, nothing that would make the node solicit.
  private func entry(on: String, target: Target6, holds: InterfaceRef) throws -> Outcome {
    guard let address = address6(of: target), let interface = interface6(of: on),
      let expected = probes.mac(node: holds.node, interface: holds.interface)
    else { return Outcome(passed: false, measured: "no IPv6 address for \(target) or \(on), or no \(holds)") }
    let output = try Command.check(
      ["ip", "-n", names.namespace(on), "-j", "-6", "neigh", "show", address.description, "dev", interface])
    guard let entry = JSON(tool: output)?.items.first else { return Outcome(passed: false, measured: "no entry") }
    let mac = entry["lladdr"]?.string?.lowercased() ?? ""
    let state = entry["state"]?.items.compactMap(\.string).joined(separator: ",") ?? "?"
    return Outcome(passed: mac == expected, measured: "\(describe(mac: mac)) (\(state))")
  }

  /// The IPv6 address a target stands for.
  func address6(of target: Target6) -> IPv6Address? {
    switch target {
    case .address(let address, _): return address
    case .node(let name): return topology.primaryAddress6(of: name)
    case .interface(let ref):
      if let guest = topology.guest(named: ref.node) { return guest.address6?.address }
      return topology.attachments(of: ref.node).first { $0.name == ref.interface }?.address6?.address
    }
  }

  /// The node that owns an IPv6 target, to put the TCP listener in.
  func owner6(of target: Target6) -> String? {
    switch target {
    case .node(let name): return name
    case .interface(let ref): return ref.node
    case .address(let address, _):
      if let guest = topology.guests.first(where: { $0.address6?.address == address }) { return guest.name }
      return (topology.hosts.map(\.name) + topology.machines.map(\.name)).first { node in
        topology.attachments(of: node).contains { $0.address6?.address == address }
      }
    }
  }

  /// Sent and received of a ping over IPv6 to `destination` (an address, with a zone if link-local), from
  /// `source` when given.
  func ping6(from node: String, to destination: String, source: IPv6Address? = nil, count: Int = 1, deadline: Int)
    throws -> (sent: Int, received: Int)
  {
    var argv = [
      "ip", "netns", "exec", names.namespace(node), "ping", "-6", "-n", "-c", "\(count)", "-i", "0.2", "-w",
      "\(deadline)",
    ]
    if let source { argv += ["-I", source.description] }
    argv.append(destination)
    let result = try Command.run(argv, timeout: Double(deadline) + 5)
    let text = result.stderr + "\n" + result.stdout
    return (
      Probes.number(before: " packets transmitted", in: text) ?? 0, Probes.number(before: " received", in: text) ?? 0
    )
  }

  private func tcp6(from: String, to: Target6, port: Int) throws -> TCPProbe.Outcome {
    guard let server = owner6(of: to), let address = address6(of: to) else {
      return .failed("no node owns \(to) to listen there")
    }
    return try TCPProbe.connect(
      client: names.namespace(from), server: names.namespace(server), address: .v6(address), port: port)
  }

  /// The interface a node solicits on: a guest's NIC, else its first interface with an IPv6 address.
  private func interface6(of node: String) -> String? {
    if topology.guest(named: node) != nil { return GuestNIC.name }
    return topology.attachments(of: node).first { $0.address6 != nil }?.name
  }

  private func ndp(from: String, target: Target6, answeredBy: [InterfaceRef]) throws -> Outcome {
    guard let address = address6(of: target), let interface = interface6(of: from) else {
      return Outcome(passed: false, measured: "no IPv6 address for \(target), or no IPv6 interface on \(from)")
    }
    // tcpdump listens for 3 s; ndisc6 starts once tcpdump says it listens (a "nobody" seen by a tcpdump that
    // was not yet listening would pass for the wrong reason) and solicits twice, 0.5 s apart. The hosts set
    // proxy_delay to 0; the kernel's default would delay a proxied answer by up to 0.8 s.
    let script = """
      log=$(mktemp)
      timeout 3 tcpdump -l -n -e -i \(interface) 'icmp6 and ip6[40] == 136' 2>"$log" &
      for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.02; done
      grep -q listening "$log" || { echo "tcpdump did not start: $(cat "$log")" >&2; rm -f "$log"; exit 1; }
      ndisc6 -1 -n -r 2 -w 500 \(address.description) \(interface) >/dev/null 2>&1
      wait
      rm -f "$log"
      """
    let result = try Command.run(["ip", "netns", "exec", names.namespace(from), "sh", "-c", script], timeout: 15)
    guard result.succeeded else { return Outcome(passed: false, measured: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
    var macs: [String] = []
    // `TIME SRC-MAC > DST-MAC, ethertype IPv6 …: ICMP6, neighbor advertisement, tgt is ADDR, length 32`
    for line in result.stdout.split(separator: "\n") where line.contains("tgt is \(address.description),") {
      let words = line.split(separator: " ")
      guard words.count > 1 else { continue }
      let mac = words[1].lowercased()
      if !macs.contains(mac) { macs.append(mac) }
    }
    let shown =
      macs.isEmpty ? "no advertisement" : "advertised by \(macs.map { describe(mac: $0) }.joined(separator: ", "))"
    let (expected, missing) = expectedMACs(answeredBy)
    if let missing { return Outcome(passed: false, measured: "\(missing) not found; \(shown)") }
    return Outcome(passed: Set(macs) == expected, measured: shown)
  }

  private func spoof(from: String, to: Target6, source: IPv6Address) throws -> Outcome {
    guard let guest = topology.guest(named: from), let own = guest.address6?.address, let destination = address6(of: to)
    else { return Outcome(passed: false, measured: "\(from) is not a guest with an IPv6 address, or \(to) has none") }
    let namespace = names.namespace(from)
    // The guest claims an address it was never given, as a compromised guest would (nodad: nobody is asked).
    _ = try Command.check(["ip", "-n", namespace, "-6", "address", "add", "\(source.description)/128", "dev", GuestNIC.name, "nodad"])
    defer {
      _ = try? Command.run(["ip", "-n", namespace, "-6", "address", "del", "\(source.description)/128", "dev", GuestNIC.name])
    }
    let spoofed = try ping6(from: from, to: destination.description, source: source, count: 2, deadline: 2)
    let genuine = try ping6(from: from, to: destination.description, source: own, count: 2, deadline: 3)
    return Outcome(
      passed: spoofed.received == 0 && genuine.received > 0,
      measured: "from \(source): ping \(spoofed.received)/\(spoofed.sent); from its own \(own): ping \(genuine.received)/\(genuine.sent)")
  }

  private func dad(guest: String, address: IPv6Address, fails: Bool) throws -> Outcome {
    let namespace = names.namespace(guest)
    let nic = GuestNIC.name
    _ = try Command.check(["ip", "-n", namespace, "-6", "address", "add", "\(address.description)/128", "dev", nic])
    defer { _ = try? Command.run(["ip", "-n", namespace, "-6", "address", "del", "\(address.description)/128", "dev", nic]) }
    let start = Date()
    var state = "tentative"
    while Date().timeIntervalSince(start) < 5 {
      let json = try Command.check(["ip", "-n", namespace, "-j", "-6", "address", "show", "dev", nic, "to", "\(address.description)/128"])
      let info = JSON(tool: json)?.items.first?["addr_info"]?.items.first
      if info?["dadfailed"]?.bool == true {
        state = "dadfailed"
        break
      }
      if info?["tentative"]?.bool != true {
        state = "passed"
        break
      }
      usleep(100_000)
    }
    let elapsed = String(format: "%.1f s", Date().timeIntervalSince(start))
    return Outcome(
      passed: fails ? state == "dadfailed" : state == "passed",
      measured: state == "tentative" ? "still tentative after \(elapsed)" : "DAD \(state) after \(elapsed)")
  }

  /// No /128 route, proxy neighbour entry or nft mention of a guest's IPv6 address on its host.
  func gone6(address: IPv6Address, host: String) throws -> (passed: Bool, measured: String) {
    let namespace = names.namespace(host)
    let routes = (JSON(tool: try Command.check(["ip", "-n", namespace, "-6", "-j", "route", "show", "table", "all"]))?.items ?? [])
      .filter { route in
        let dst = route["dst"]?.string
        return (dst == address.description || dst == "\(address)/128")
          && !["bird", "bgp"].contains(route["protocol"]?.string ?? "")
      }
    let proxies = (JSON(tool: try Command.check(["ip", "-n", namespace, "-6", "-j", "neigh", "show", "proxy"]))?.items ?? [])
      .filter { $0["dst"]?.string == address.description }
    let nft = Probes.tokens(try probes.nftRuleset(node: host)).contains(address.description)
    return (
      routes.isEmpty && proxies.isEmpty && !nft,
      "v6 routes \(routes.count); v6 proxy neigh \(proxies.count); nft \(nft ? "mentions \(address)" : "clean of v6")"
    )
  }
}
