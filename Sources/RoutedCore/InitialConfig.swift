/// `routed-hook init`'s guess at a host config, from what the host shows (a `HostSnapshot`).
///
/// - Guest networks: bridges (Linux or OVS) with an IPv4 address and no physical port. Their address is the
///   guests' gateway, their MTU the guests' MTU. libvirt's and Docker's own bridges are left out: they
///   bring their own NAT and firewall.
/// - Uplinks: every other interface with an IPv4 address that is not a bridge port, with a mode guessed
///   from the talk's scenarios and marked `# check`:
///   - a link without ARP (HiperSockets in layer-3 mode): `routed`, `layer: 3`;
///   - a subnet that contains a guest network (scenario II, the host's own 10.x LAN): `proxy-arp`, unless
///     another interface shares that subnet (the talk's first pitfall: then `routed`);
///   - routes via a gateway on it (scenario III, the other LPAR's guests over HiperSockets): `routed`,
///     with those routes as `peers`;
///   - anything else (scenario IV, a foreign subnet): `nat`, the one mode that lets nothing in.
/// - IPv6: a guest network's bridge with a global (or unique local) IPv6 address of prefix /64–/126 gets it as
///   `gateway6`, marked `# check`; `fe80::1` and other link-local addresses are not a gateway6 (the hook adds
///   `fe80::1` itself).
public enum InitialConfig {
  /// The YAML text, or why no config can be guessed (no guest network).
  public struct Result: Sendable, Equatable {
    public var text: String
    public var guestNetworks: Int
  }

  public struct NoGuestNetwork: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// Bridges whose owner brings its own NAT and firewall (libvirt's `virbr*`, Docker's `docker0`).
  static func foreignBridge(_ name: String) -> String? {
    if name.hasPrefix("virbr") { return "a libvirt NAT network's bridge" }
    if name == "docker0" { return "Docker's bridge" }
    return nil
  }

  /// Link kinds that stand for a physical network when they are a bridge port: real NICs (no kind), bonds,
  /// VLANs and tunnels. Taps and veths are guests' ports (QEMU, LXC).
  static func isPhysical(_ link: HostSnapshot.Link?) -> Bool {
    guard let link else { return true }  // not in the kernel (DPDK): a physical port
    switch link.kind {
    case nil: return !link.flags.contains("LOOPBACK")
    case "tun", "tap", "veth", "openvswitch", "internal", "dummy": return false
    default: return true  // bond, team, vlan, macvlan, vxlan, …
    }
  }

  struct Bridge {
    var name: String
    var kind: String
    var ports: [String]
    var physical: [String]
  }

  static func bridges(_ snapshot: HostSnapshot) -> [Bridge] {
    var bridges: [Bridge] = []
    for link in snapshot.links where link.kind == "bridge" {
      let ports = snapshot.links.filter { $0.master == link.name }
      bridges.append(
        Bridge(
          name: link.name, kind: "Linux bridge", ports: ports.map(\.name),
          physical: ports.filter { isPhysical($0) }.map(\.name)))
    }
    for bridge in snapshot.ovs ?? [] {
      let ports = bridge.ports.filter { $0.name != bridge.name && $0.type != "patch" }
      let physical = ports.filter { port in
        switch port.type {
        case "": return isPhysical(snapshot.link(port.name))
        case "internal", "tap": return false
        default: return true  // vxlan, geneve, gre, dpdk: a network outside this host
        }
      }
      bridges.append(
        Bridge(name: bridge.name, kind: "OVS bridge", ports: ports.map(\.name), physical: physical.map(\.name)))
    }
    return bridges.sorted { $0.name < $1.name }
  }

  public static func guess(_ snapshot: HostSnapshot, hostName: String) throws -> Result {
    var skipped: [String] = []
    var networks: [(bridge: Bridge, link: HostSnapshot.Link, gateway: IPv4Interface)] = []
    var bridgePorts: [String] = []
    for bridge in bridges(snapshot) {
      bridgePorts += bridge.ports
      guard bridge.physical.isEmpty else { continue }  // an attached network: the bridge may be an uplink
      if let why = foreignBridge(bridge.name) {
        skipped.append("\(bridge.name): \(why)")
        continue
      }
      guard let link = snapshot.link(bridge.name), let gateway = link.addresses.first else {
        skipped.append(
          "\(bridge.name): a bridge without physical ports but without an IPv4 address; give it the guests' "
            + "gateway address (ip address add ADDRESS/24 dev \(bridge.name)) and run init again")
        continue
      }
      networks.append((bridge, link, gateway))
    }
    guard !networks.isEmpty else {
      let found = skipped.isEmpty ? "" : " (found: \(skipped.joined(separator: "; ")))"
      throw NoGuestNetwork(
        description:
          "no guest network here: routed-hook needs a bridge with no physical port and an IPv4 address, the "
          + "guests' gateway\(found)")
    }
    let guestNames = Set(networks.map(\.bridge.name))
    let guestSubnets = networks.map(\.gateway.network)

    struct Uplink {
      var name: String
      var link: HostSnapshot.Link
      var address: IPv4Interface
      var mode: String
      var why: String
      var peers: [(subnet: IPv4Network, via: IPv4Address)] = []
    }
    var uplinks: [Uplink] = []
    var usedNames: [String] = []
    let candidates = snapshot.links.filter { link in
      !link.flags.contains("LOOPBACK") && link.name != "lo" && link.master == nil
        && !guestNames.contains(link.name) && !bridgePorts.contains(link.name) && !link.addresses.isEmpty
        && foreignBridge(link.name) == nil
    }
    for link in candidates.sorted(by: { $0.index < $1.index }) {
      let address = link.addresses[0]
      let subnet = address.network
      let sharing = candidates.filter { other in
        other.name != link.name && other.addresses.contains { $0.network.overlaps(subnet) }
      }.map(\.name)
      var peers: [(subnet: IPv4Network, via: IPv4Address)] = []
      for route in snapshot.routes where route.devices == [link.name] && route.destination.prefixLength > 0 {
        guard let via = route.gateway, link.addresses.contains(where: { $0.network.contains(via) }),
          !guestSubnets.contains(where: { $0.overlaps(route.destination) }),
          !peers.contains(where: { $0.subnet.overlaps(route.destination) })
        else { continue }
        peers.append((route.destination, via))
      }
      var uplink = Uplink(
        name: uplinkName(link.name, taken: usedNames), link: link, address: address, mode: "nat",
        why: "a foreign subnet: guests go out masqueraded, nothing gets in")
      if link.isNoARP {
        uplink.mode = "routed"
        uplink.why = "a link without ARP: routed, layer 3"
      } else if let inside = guestSubnets.first(where: { subnet.contains($0.address) && subnet.prefixLength <= $0.prefixLength }) {
        if sharing.isEmpty {
          uplink.mode = "proxy-arp"
          uplink.why = "\(subnet) holds the guests' \(inside): this host answers ARP for its running guests here"
        } else {
          uplink.mode = "routed"
          uplink.why =
            "\(subnet) holds the guests' \(inside), but \(sharing.joined(separator: ", ")) shares it: proxy-arp "
            + "there would answer for the whole subnet"
        }
      } else if !peers.isEmpty {
        uplink.mode = "routed"
        uplink.why = "other hosts' subnets are routed via this link"
      } else if snapshot.routes.contains(where: { $0.destination.prefixLength == 0 && $0.devices == [link.name] }) {
        uplink.why = "the default route: guests go out masqueraded, nothing gets in"
      }
      if uplink.mode == "routed" { uplink.peers = peers }
      usedNames.append(uplink.name)
      uplinks.append(uplink)
    }

    var lines = [
      "# routed-hook config for \(hostName), written by `routed-hook init` from what this host shows.",
      "# Every line marked `# check` is a guess: read it, fix it, then run `routed-hook check`.",
      "# The fields: man 5 routed-hook.yaml.",
      "routeProtocol: \(HostConfig.defaultRouteProtocol)",
      "guestNetworks:",
    ]
    let uplinkList = "[" + uplinks.map(\.name).joined(separator: ", ") + "]"
    for (network, link, gateway) in networks {
      let ports = network.ports.isEmpty ? "no ports yet" : "ports \(network.ports.joined(separator: ", "))"
      lines += [
        "  - name: \(uplinkName(network.name, taken: []))",
        "    bridge: \(network.name)  # \(network.kind), \(ports), none physical",
        "    gateway: \(gateway)  # \(network.name)'s address",
      ]
      if let gateway6 = gateway6(snapshot, network.name) {
        lines.append(
          "    gateway6: \(gateway6)  # check: \(network.name)'s IPv6 address; guests get /128s in its range, router fe80::1")
      }
      lines += [
        "    mtu: \(link.mtu)  # \(network.name)'s MTU",
        "    uplinks: \(uplinkList)  # check: the uplinks its guests may use",
      ]
    }
    lines.append(uplinks.isEmpty ? "uplinks: []" : "uplinks:")
    for uplink in uplinks {
      lines += [
        "  - name: \(uplink.name)",
        "    interface: \(uplink.link.name)  # \(uplink.address), MTU \(uplink.link.mtu)",
        "    mode: \(uplink.mode)  # check: \(uplink.why)",
      ]
      if uplink.link.isNoARP { lines.append("    layer: 3") }
      if uplink.mode == "routed" {
        lines.append("    address: \(uplink.address)")
        if !uplink.peers.isEmpty {
          lines.append("    peers:  # check: routes on this host; each is another host's guest subnet")
          for peer in uplink.peers { lines.append("      - { subnet: \(peer.subnet), via: \(peer.via) }") }
        }
      }
    }
    for line in skipped { lines.append("# left out: \(line)") }
    return Result(text: lines.joined(separator: "\n") + "\n", guestNetworks: networks.count)
  }

  /// The bridge's first IPv6 address that can be a `gateway6`: not link-local, multicast or loopback, and a
  /// prefix of /64 to /126 (the validator's range).
  static func gateway6(_ snapshot: HostSnapshot, _ bridge: String) -> IPv6Interface? {
    snapshot.ipv6?.addresses.first { entry in
      let address = entry.address.address
      return entry.interface == bridge && !address.isLinkLocal && !address.isMulticast && !address.isLoopback
        && !address.isUnspecified && (64...126).contains(entry.address.prefixLength)
        && !entry.flags.contains("dadfailed")
    }?.address
  }

  /// A config object name from an interface name: letters, digits, `-` and `_`, starting with a letter.
  static func uplinkName(_ interface: String, taken: [String]) -> String {
    var name = String(
      interface.map { $0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "-" || $0 == "_" ? $0 : "-" })
    if !(name.first.map { $0.isASCII && $0.isLetter } ?? false) { name = "if-" + name }
    var candidate = name
    var count = 2
    while taken.contains(candidate) {
      candidate = "\(name)-\(count)"
      count += 1
    }
    return candidate
  }
}
