/// One validation problem, by field path (`guestNetworks[0].mtu`).
public struct ConfigProblem: Equatable, Sendable {
  public var field: String
  public var message: String
}

/// Every rule a config must pass, on the parsed model; the loader adds file and line.
public enum ConfigValidator {
  /// Route protocols 0–4 are the kernel's own (unspec, redirect, kernel, boot, static).
  static let reservedProtocols: ClosedRange<UInt8> = 0...4

  /// All problems, in file order; empty when the config is valid. `facts` adds the checks that need the live host.
  public static func problems(in config: HostConfig, facts: HostFacts? = nil) -> [ConfigProblem] {
    var problems: [ConfigProblem] = []
    func fail(_ field: String, _ message: String) {
      problems.append(ConfigProblem(field: field, message: message))
    }

    if reservedProtocols.contains(config.routeProtocol) {
      fail(
        "routeProtocol",
        "\(config.routeProtocol) is reserved by the kernel; use 5–255 (routed-hook's default is 151)")
    }
    if config.guestNetworks.isEmpty { fail("guestNetworks", "at least one guest network is required") }

    var interfaceOwners: [String: String] = [:]
    func claim(_ interface: String, by field: String) {
      if let owner = interfaceOwners[interface] {
        fail(field, "interface \(interface) is already used by \(owner)")
      } else {
        interfaceOwners[interface] = field
      }
    }
    var names: [String: String] = [:]
    func checkName(_ name: String, _ field: String) {
      if let problem = Names.problem(withObjectName: name) { fail(field, problem) }
      let key = Names.nftIdentifier(name)
      if let other = names[key] {
        fail(field, "'\(name)' clashes with the name at \(other)")
      } else {
        names[key] = field
      }
    }

    for (index, network) in config.guestNetworks.enumerated() {
      let field = "guestNetworks[\(index)]"
      checkName(network.name, "\(field).name")
      if let problem = Names.problem(withInterface: network.bridge) { fail("\(field).bridge", problem) }
      claim(network.bridge, by: "\(field).bridge")
      if !(68...65535).contains(network.mtu) {
        fail("\(field).mtu", "\(network.mtu) is out of range 68–65535")
      }
      if let libvirtNetwork = network.libvirtNetwork,
        let other = config.guestNetworks.prefix(index).firstIndex(where: { $0.libvirtNetwork == libvirtNetwork })
      {
        fail(
          "\(field).libvirtNetwork",
          "libvirt network '\(libvirtNetwork)' is already guestNetworks[\(other)]'s: a port could not tell which network it is on")
      }
      let gateway = network.gateway
      if let range = SpecialAddresses.range(of: gateway.address) {
        fail("\(field).gateway", "\(gateway.address) is \(range), not a unicast address guests can route through")
      } else if gateway.prefixLength > 30 || gateway.prefixLength < 8 {
        fail("\(field).gateway", "prefix /\(gateway.prefixLength) leaves no room for guests; use /8 to /30")
      } else if gateway.address == network.subnet.address || gateway.address == network.subnet.broadcast {
        fail("\(field).gateway", "\(gateway.address) is the subnet's network or broadcast address")
      }
      for (uplinkIndex, name) in network.uplinks.enumerated() where config.uplink(named: name) == nil {
        fail("\(field).uplinks[\(uplinkIndex)]", "no uplink is named '\(name)'")
      }
      for (otherIndex, other) in config.guestNetworks.enumerated().prefix(index)
      where other.subnet.overlaps(network.subnet) {
        fail(
          "\(field).gateway",
          "subnet \(network.subnet) overlaps guestNetworks[\(otherIndex)] (\(other.subnet))")
      }
      if let gateway6 = network.gateway6, let subnet6 = network.subnet6 {
        if gateway6.address.isLinkLocal || gateway6.address.isMulticast || gateway6.address.isUnspecified
          || gateway6.address.isLoopback
        {
          fail(
            "\(field).gateway6",
            "\(gateway6.address) is not a global or unique local address; the link-local gateway fe80::1 is added by itself"
          )
        } else if gateway6.prefixLength < 64 || gateway6.prefixLength > 126 {
          fail(
            "\(field).gateway6",
            "prefix /\(gateway6.prefixLength) does not fit a guest network; use /64 to /126 (a range inside the production /64 for scenario II)"
          )
        }
        for (otherIndex, other) in config.guestNetworks.enumerated().prefix(index) {
          if let otherSubnet6 = other.subnet6, otherSubnet6.overlaps(subnet6) {
            fail(
              "\(field).gateway6",
              "subnet \(subnet6) overlaps guestNetworks[\(otherIndex)] (\(otherSubnet6))")
          }
        }
      }
    }

    for (index, uplink) in config.uplinks.enumerated() {
      let field = "uplinks[\(index)]"
      checkName(uplink.name, "\(field).name")
      if let problem = Names.problem(withInterface: uplink.interface) { fail("\(field).interface", problem) }
      claim(uplink.interface, by: "\(field).interface")
      if uplink.mode == .proxyARP && uplink.layer == 3 {
        fail("\(field).mode", "proxy-arp needs a layer-2 link; a layer-3 link has no ARP (use mode: routed)")
      }
      if uplink.mode != .routed && !uplink.peers.isEmpty {
        fail("\(field).peers", "peers are routes to other hosts' guests and need mode: routed")
      }
      for (peerIndex, peer) in uplink.peers.enumerated() {
        if let address = uplink.address, !address.network.contains(peer.via) {
          fail(
            "\(field).peers[\(peerIndex)].via",
            "gateway \(peer.via) is not on \(uplink.interface)'s subnet \(address.network): the route would not work"
          )
        }
        for network in config.guestNetworks where network.subnet.overlaps(peer.subnet) {
          fail(
            "\(field).peers[\(peerIndex)].subnet",
            "\(peer.subnet) overlaps guest network '\(network.name)' (\(network.subnet))")
        }
        if (peer.subnet6 == nil) != (peer.via6 == nil) {
          fail("\(field).peers[\(peerIndex)]", "subnet6 and via6 go together")
        }
        if let subnet6 = peer.subnet6 {
          for network in config.guestNetworks {
            if let guests6 = network.subnet6, guests6.overlaps(subnet6) {
              fail(
                "\(field).peers[\(peerIndex)].subnet6",
                "\(subnet6) overlaps guest network '\(network.name)' (\(guests6))")
            }
          }
          for (otherIndex, other) in config.uplinks.enumerated() {
            for (otherPeerIndex, otherPeer) in other.peers.enumerated()
            where (otherIndex, otherPeerIndex) < (index, peerIndex)
              && otherPeer.subnet6?.overlaps(subnet6) == true
            {
              fail(
                "\(field).peers[\(peerIndex)].subnet6",
                "\(subnet6) overlaps uplinks[\(otherIndex)].peers[\(otherPeerIndex)] (\(otherPeer.subnet6!)): two paths to the same guests"
              )
            }
          }
        }
        if let via6 = peer.via6, let address6 = uplink.address6, !address6.network.contains(via6) {
          fail(
            "\(field).peers[\(peerIndex)].via6",
            "gateway \(via6) is not on \(uplink.interface)'s subnet \(address6.network): the route would not work"
          )
        }
        for (otherIndex, other) in config.uplinks.enumerated() {
          for (otherPeerIndex, otherPeer) in other.peers.enumerated()
          where (otherIndex, otherPeerIndex) < (index, peerIndex) && otherPeer.subnet.overlaps(peer.subnet) {
            fail(
              "\(field).peers[\(peerIndex)].subnet",
              "\(peer.subnet) overlaps uplinks[\(otherIndex)].peers[\(otherPeerIndex)] (\(otherPeer.subnet)): two paths to the same guests"
            )
          }
        }
      }
    }

    // Filled only when the config lists domains: an address-keyed dictionary's first use costs every hook
    // call a run-time scan of the binary's protocol conformances.
    var seen: [IPv4Address: String] = [:]
    if !config.domains.isEmpty {
      for network in config.guestNetworks {
        seen[network.gateway.address] = "the gateway of '\(network.name)'"
      }
    }
    var seen6: [IPv6Address: String] = [:]
    var macs: [MACAddress: String] = [:]
    for name in config.domains.keys.sorted() {
      for (index, entry) in config.domains[name, default: []].enumerated() {
        let field = "domains.\(name)[\(index)]"
        if let address = entry.address {
          if let owner = seen[address] {
            fail("\(field).address", "\(address) is already used by \(owner)")
          } else {
            seen[address] = "domain \(name)"
          }
          if let network = config.guestNetworks.first(where: { $0.subnet.contains(address) }) {
            if address == network.subnet.address || address == network.subnet.broadcast {
              fail(
                "\(field).address",
                "\(address) is the network or broadcast address of '\(network.name)' (\(network.subnet))")
            }
          } else {
            fail("\(field).address", "\(address) is in no guest network's subnet")
          }
        }
        if let address6 = entry.address6 {
          if let problem = GuestAddress.problem6(address6) {
            fail("\(field).address6", problem)
          } else if let owner = seen6[address6] {
            fail("\(field).address6", "\(address6) is already used by \(owner)")
          } else if !config.guestNetworks.contains(where: { $0.subnet6?.contains(address6) == true }) {
            fail("\(field).address6", "\(address6) is in no guest network's gateway6 subnet")
          } else if config.guestNetworks.contains(where: { $0.gateway6?.address == address6 }) {
            fail("\(field).address6", "\(address6) is the gateway6 of a guest network")
          }
          seen6[address6] = "domain \(name)"
        }
        if entry.address == nil && entry.address6 == nil {
          fail(field, "an entry needs address or address6")
        }
        if let owner = macs[entry.mac] { fail("\(field).mac", "\(entry.mac) is already used by \(owner)") }
        macs[entry.mac] = "domain \(name)"
        for (uplinkIndex, uplink) in (entry.uplinks ?? []).enumerated()
        where config.uplink(named: uplink) == nil {
          fail("\(field).uplinks[\(uplinkIndex)]", "no uplink is named '\(uplink)'")
        }
      }
    }

    problems += BGPValidator.problems(in: config)

    if let facts {
      for (index, uplink) in config.uplinks.enumerated() {
        guard let address = uplink.address, let actual = facts.addresses[uplink.interface],
          !actual.contains(address)
        else { continue }
        let has = actual.isEmpty ? "no address" : actual.map(\.description).joined(separator: ", ")
        fail("uplinks[\(index)].address", "\(address) is not on \(uplink.interface) (it has \(has))")
      }
      problems += SubnetClash.problems(in: config, facts: facts)
    }
    return problems
  }
}

/// The talk's first pitfall: two host interfaces in one subnet, one with proxy_arp, and the whole net goes dead.
enum SubnetClash {
  static func problems(in config: HostConfig, facts: HostFacts) -> [ConfigProblem] {
    var problems: [ConfigProblem] = []
    // Guest bridges sit inside the uplink's subnet on purpose; the ARP filter answers only for running guests.
    let bridges = Set(config.guestNetworks.map(\.bridge))
    for (index, uplink) in config.uplinks.enumerated() where uplink.mode == .proxyARP {
      for subnet in Set(facts.addresses[uplink.interface, default: []].map(\.network)) {
        let others = facts.addresses.keys.sorted().filter { name in
          name != uplink.interface && !bridges.contains(name)
            && facts.addresses[name, default: []].contains { $0.network.overlaps(subnet) }
        }
        if let other = others.first {
          problems.append(
            ConfigProblem(
              field: "uplinks[\(index)].mode",
              message: "proxy-arp on \(uplink.interface) while \(other) is in the same subnet \(subnet): "
                + "one interface would answer ARP for the whole subnet and the net goes dead"))
        }
      }
    }
    return problems
  }
}

/// Address ranges that are never a guest network's gateway.
enum SpecialAddresses {
  /// The name of the special range `address` is in, nil for ordinary unicast.
  static func range(of address: IPv4Address) -> String? {
    switch address.value >> 24 {
    case 0: "in 0.0.0.0/8 (this network)"
    case 127: "a loopback address (127.0.0.0/8)"
    case 224...239: "a multicast address (224.0.0.0/4)"
    case 240...255: "in the reserved range 240.0.0.0/4"
    default: address.value >> 16 == 0xA9FE ? "a link-local address (169.254.0.0/16)" : nil
    }
  }
}
