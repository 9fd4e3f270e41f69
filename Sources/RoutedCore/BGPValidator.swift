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
    where !bgp.prefixes.contains(where: {
      $0.contains(network.subnet.address) && $0.prefixLength <= network.subnet.prefixLength
    }) {
      fail(
        "guestNetworks[\(index)].gateway",
        "subnet \(network.subnet) is outside bgp.prefixes: its guests would never be announced")
    }
    // Static peers and BGP must not both route one range: two writers, two paths.
    for (uplinkIndex, peerUplink) in config.uplinks.enumerated() {
      for (peerIndex, peer) in peerUplink.peers.enumerated() {
        if let prefix = bgp.prefixes.first(where: { $0.overlaps(peer.subnet) }) {
          fail(
            "uplinks[\(uplinkIndex)].peers[\(peerIndex)].subnet",
            "\(peer.subnet) is a static peer route inside bgp.prefixes (\(prefix)): one subnet is routed either by static peers or by BGP, not both"
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
    var seen: [(address: IPv4Address, field: String)] = []
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
      guard let address = uplink?.address else { continue }
      if neighbour.address == address.address {
        fail(field, "\(neighbour.address) is this host's own address on \(uplink?.interface ?? "")")
      } else if !address.network.contains(neighbour.address) {
        fail(
          field,
          "\(neighbour.address) is not on \(uplink?.interface ?? "")'s subnet \(address.network): sessions run directly over the link"
        )
      }
      if neighbour.role != .peer, let asn = neighbour.asn, asn != bgp.asn {
        fail(field, "AS \(asn) differs from bgp.asn \(bgp.asn): route reflection is within one AS")
      }
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
