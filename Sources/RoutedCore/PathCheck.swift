/// `multiple-paths` (critical): a guest address, or a peer's guest subnet, that the routing table reaches
/// through more than one interface. The talk's scenario III pitfall: requests go one way, replies another,
/// and stateful filters (or the other host's ARP filter) drop them.
enum PathCheck {
  static let id = "multiple-paths"

  /// A destination to check, and the interface that should reach it (when known).
  struct Target {
    var network: IPv4Network
    var expected: String?
    var owner: String?
  }

  /// Findings for every guest address and peer subnet, or for `addresses` only (a domain's, at `prepare`).
  static func findings(_ context: DoctorContext, addresses only: Set<IPv4Address>?) -> [Finding] {
    // A routing daemon's /32 for a guest (BGP: where the fleet last saw it) is no second path: the guest's
    // own /32 here outranks it by metric, and the daemon withdraws it as soon as it learns ours.
    let routes = context.snapshot.routes.filter { !$0.devices.isEmpty && !LearnedRoutes.isLearned($0) }
    return targets(context).compactMap { target in
      if let only, target.network.prefixLength != 32 || !only.contains(target.network.address) { return nil }
      let covering = routes.filter {
        $0.destination.prefixLength <= target.network.prefixLength
          && $0.destination.contains(target.network.address)
      }
      let longest = covering.map(\.destination.prefixLength).max() ?? 0
      let inside = routes.filter {
        $0.destination.prefixLength > target.network.prefixLength
          && target.network.contains($0.destination.address)
      }
      let paths = covering.filter { $0.destination.prefixLength == longest } + inside
      let devices = Set(paths.flatMap(\.devices)).sorted()
      guard devices.count > 1 else { return nil }
      let what = target.network.prefixLength == 32 ? "\(target.network.address)" : "\(target.network)"
      var evidence = [
        "destination": what, "interfaces": devices.joined(separator: ", "),
        "routes": paths.map(\.text).joined(separator: "; "),
      ]
      if let owner = target.owner { evidence["owner"] = owner }
      let stray = paths.first { route in target.expected.map { !route.devices.contains($0) } ?? false }
      let fix =
        stray.map { "ip route del \($0.text), so only \(target.expected!) reaches \(what)" }
        ?? "delete the routes that do not lead to where the guest runs, so one interface reaches \(what)"
      return Finding(
        id: id, severity: .critical,
        summary:
          "\(what) is reachable through \(devices.count) interfaces (\(devices.joined(separator: ", "))): "
          + "requests and replies can take different paths",
        evidence: evidence, fix: fix)
    }
  }

  /// Recorded guests, every /32 route with our protocol, and the config's peer subnets; each once.
  static func targets(_ context: DoctorContext) -> [Target] {
    var targets: [Target] = []
    // A hook's `prepare` has a handful of targets: compared one by one, since a `Set<IPv4Network>` costs it
    // a run-time scan of the binary's conformances. Doctor on a whole host switches to the set.
    var seen = Set<IPv4Network>()
    func add(_ target: Target) {
      if targets.count < 32 {
        if targets.contains(where: { $0.network == target.network }) { return }
      } else {
        if seen.isEmpty { seen = Set(targets.map(\.network)) }
        guard seen.insert(target.network).inserted else { return }
      }
      targets.append(target)
    }
    for record in context.snapshot.records {
      for nic in record.interfaces {
        guard let address = nic.address else { continue }
        add(Target(network: .host(address), expected: nic.bridge, owner: "guest \(record.name)"))
      }
    }
    for route in context.snapshot.routes
    where route.routeProtocol == context.routeProtocol && route.destination.prefixLength == 32 {
      add(
        Target(
          network: route.destination, expected: route.devices.first,
          owner: "route proto \(route.routeProtocol)"))
    }
    for uplink in context.config?.uplinks ?? [] {
      for peer in uplink.peers {
        add(
          Target(
            network: peer.subnet, expected: uplink.interface, owner: "peer route of uplink \(uplink.name)"))
      }
    }
    return targets
  }
}
