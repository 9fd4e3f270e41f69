/// The rules a `bgp:` section must pass against the rest of the config; the loader adds file and line.
enum BGPValidator {
  static func problems(in config: HostConfig) -> [ConfigProblem] {
    guard let bgp = config.bgp else { return [] }
    var problems: [ConfigProblem] = []
    func fail(_ field: String, _ message: String) {
      problems.append(ConfigProblem(field: field, message: message))
    }

    let uplink = config.uplink(named: bgp.uplink)
    if let uplink {
      if uplink.mode != .routed {
        fail(
          "bgp.uplink",
          "uplink '\(uplink.name)' is mode \(uplink.mode.rawValue); BGP runs over a routed link to the other hosts (mode: routed)"
        )
      }
      if uplink.address == nil {
        fail(
          "bgp.uplink",
          "uplink '\(uplink.name)' needs its address (uplinks[].address): it is the sessions' source address")
      }
    } else {
      fail("bgp.uplink", "no uplink is named '\(bgp.uplink)'")
    }

    if bgp.prefixes.isEmpty {
      fail("bgp.prefixes", "at least one prefix (the fleet's guest addresses) is required")
    }
    for (index, prefix) in bgp.prefixes.enumerated() {
      for (otherIndex, other) in bgp.prefixes.enumerated().prefix(index) where other.overlaps(prefix) {
        fail("bgp.prefixes[\(index)]", "\(prefix) overlaps bgp.prefixes[\(otherIndex)] (\(other))")
      }
    }
    for (index, network) in config.guestNetworks.enumerated()
    where !bgp.prefixes4.contains(where: {
      $0.contains(network.subnet.address) && $0.prefixLength <= network.subnet.prefixLength
    }) {
      fail(
        "guestNetworks[\(index)].gateway",
        "subnet \(network.subnet) is outside bgp.prefixes: its guests would never be announced")
    }
    // IPv6 is shared once bgp.prefixes has an IPv6 prefix; then every IPv6 guest network must lie in one.
    if !bgp.prefixes6.isEmpty {
      for (index, network) in config.guestNetworks.enumerated() {
        guard let subnet6 = network.subnet6,
          !bgp.prefixes6.contains(where: { $0.contains(subnet6.address) && $0.prefixLength <= subnet6.prefixLength })
        else { continue }
        fail(
          "guestNetworks[\(index)].gateway6",
          "subnet \(subnet6) is outside bgp.prefixes' IPv6 prefixes: its guests would never be announced")
      }
    }
    // Static peers and BGP must not both route one range: two writers, two paths.
    for (uplinkIndex, peerUplink) in config.uplinks.enumerated() {
      for (peerIndex, peer) in peerUplink.peers.enumerated() {
        for (key, subnet) in [("subnet", IPNetwork.v4(peer.subnet)), ("subnet6", peer.subnet6.map(IPNetwork.v6))] {
          guard let subnet, let prefix = bgp.prefixes.first(where: { $0.overlaps(subnet) }) else { continue }
          fail(
            "uplinks[\(uplinkIndex)].peers[\(peerIndex)].\(key)",
            "\(subnet) is a static peer route inside bgp.prefixes (\(prefix)): one subnet is routed either by static peers or by BGP, not both"
          )
        }
      }
    }

    if bgp.neighbours.isEmpty {
      fail("bgp.neighbours", "no neighbours: give neighbours (full mesh), routeReflectors or clients")
    }
    let hasReflectors = bgp.neighbours.contains { $0.role == .reflector }
    if hasReflectors && bgp.neighbours.contains(where: { $0.role == .client }) {
      fail(
        "bgp.clients",
        "a host is either a route reflector (clients:) or a client of reflectors (routeReflectors:), not both"
      )
    }
    // Arrays, not dictionaries: this runs on every hook call, and a dictionary's first key type costs a
    // run-time conformance scan (README, "Build").
    var seen: [(address: IPAddress, field: String)] = []
    for (offset, neighbour) in bgp.neighbours.enumerated() {
      let list =
        switch neighbour.role {
        case .peer: "neighbours"
        case .reflector: "routeReflectors"
        case .client: "clients"
        }
      let position = bgp.neighbours.prefix(offset).filter { $0.role == neighbour.role }.count
      let field = "bgp.\(list)[\(position)]"
      if let other = seen.first(where: { $0.address == neighbour.address }) {
        fail(field, "\(neighbour.address) is already \(other.field)")
        continue
      }
      seen.append((neighbour.address, field))
      // A session carries its own family's guest routes, between the hosts' addresses of that family.
      let own: IPInterface?
      switch neighbour.address {
      case .v4: own = uplink?.address.map(IPInterface.v4)
      case .v6(let address6):
        if bgp.prefixes6.isEmpty {
          fail(field, "\(address6) is an IPv6 session, but bgp.prefixes has no IPv6 prefix for it to carry")
        }
        if address6.isLinkLocal {
          fail(field, "\(address6) is link-local; give the neighbour's global or unique local address on the link")
          continue
        }
        guard let uplink else { continue }
        guard let address6 = uplink.address6 else {
          fail(
            field,
            "\(neighbour.address) is an IPv6 session, but uplink '\(uplink.name)' has no address6 (uplinks[].address6): it is the IPv6 sessions' source address"
          )
          continue
        }
        own = .v6(address6)
      }
      guard let own else { continue }
      if neighbour.address == own.address {
        fail(field, "\(neighbour.address) is this host's own address on \(uplink?.interface ?? "")")
      } else if !own.network.contains(neighbour.address) {
        fail(
          field,
          "\(neighbour.address) is not on \(uplink?.interface ?? "")'s subnet \(own.network): sessions run directly over the link"
        )
      }
      if neighbour.role != .peer, let asn = neighbour.asn, asn != bgp.asn {
        fail(field, "AS \(asn) differs from bgp.asn \(bgp.asn): route reflection is within one AS")
      }
    }
    if let prefix = bgp.prefixes6.first, !bgp.neighbours.contains(where: { $0.address.isV6 }) {
      let index = bgp.prefixes.firstIndex(of: .v6(prefix)) ?? 0
      fail(
        "bgp.prefixes[\(index)]",
        "\(prefix) is IPv6, but no neighbour has an IPv6 address: IPv6 guest routes travel on IPv6 sessions (add the other hosts' addresses on the uplink's address6)"
      )
    }
    if let bfd = bgp.bfd, bfd.interval * bfd.multiplier >= bgp.holdTime * 1000 {
      fail(
        "bgp.bfd",
        "BFD detects a failure after \(bfd.interval * bfd.multiplier) ms, not sooner than the hold time (\(bgp.holdTime) s)"
      )
    }
    return problems
  }
}
