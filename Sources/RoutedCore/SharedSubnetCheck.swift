/// `proxy-arp-shared-subnet` (critical): the talk's first pitfall. Two interfaces have addresses in one
/// subnet and one of them proxies ARP: it answers for every address of the subnet it can route through the
/// other interface, but cannot deliver to them, "and the net is dead".
enum SharedSubnetCheck {
  static let id = "proxy-arp-shared-subnet"

  static func findings(_ context: DoctorContext) -> [Finding] {
    let snapshot = context.snapshot
    var findings: [Finding] = []
    var reported = Set<[String]>()
    for proxying in context.proxyingLinks {
      for own in proxying.addresses {
        for other in snapshot.links.sorted(by: { $0.name < $1.name }) where other.name != proxying.name {
          guard let theirs = other.addresses.first(where: { $0.network.overlaps(own.network) }),
            !isByDesign(proxying.name, other.name, context: context),
            !looksLikeRoutedGuestNetwork(proxying, own, other, theirs, context: context),
            reported.insert([proxying.name, other.name].sorted()).inserted
          else { continue }
          let subnet = own.prefixLength <= theirs.prefixLength ? own.network : theirs.network
          findings.append(
            Finding(
              id: id, severity: .critical,
              summary:
                "\(proxying.name) proxies ARP and shares subnet \(subnet) with \(other.name): "
                + "\(proxying.name) answers ARP for that subnet and the net goes dead",
              evidence: context.proxyARPEvidence(proxying.name).adding([
                "interface": proxying.name, "address": own.description,
                "other_interface": other.name, "other_address": theirs.description,
                "net.ipv4.conf.\(other.name).proxy_arp":
                  "\(snapshot.sysctls.interfaces[other.name]?.proxyARP ?? 0)",
              ]),
              fix:
                "sysctl -w \(context.proxyARPSwitch(proxying.name)), or move \(other.name) out of \(subnet)"))
        }
      }
    }
    return findings
  }

  /// Without a config: a bridge (Linux, or an OVS internal port, a tap) holding a strictly smaller subnet
  /// inside the other interface's is the talk's routed guest network, not a second card on the same LAN.
  /// Whether its proxy ARP is filtered is `proxy-arp-unfiltered`'s question.
  static func looksLikeRoutedGuestNetwork(
    _ a: HostSnapshot.Link, _ aAddress: IPv4Interface, _ b: HostSnapshot.Link, _ bAddress: IPv4Interface,
    context: DoctorContext
  ) -> Bool {
    guard context.config == nil, aAddress.prefixLength != bAddress.prefixLength else { return false }
    let bridge = aAddress.prefixLength > bAddress.prefixLength ? a : b
    return ["bridge", "openvswitch", "tun"].contains(bridge.kind ?? "")
  }

  /// A guest bridge inside the subnet of one of its network's uplinks is the talk's scenario II by design
  /// (the ARP filter answers only for running guests), but only a config can say a bridge is ours.
  static func isByDesign(_ a: String, _ b: String, context: DoctorContext) -> Bool {
    guard let config = context.config else { return false }
    for network in config.guestNetworks where network.bridge == a || network.bridge == b {
      let other = network.bridge == a ? b : a
      let uplinks = network.uplinks.compactMap(config.uplink(named:))
      guard uplinks.contains(where: { $0.interface == other }) else { continue }
      let uplinkAddresses = context.snapshot.link(other)?.addresses ?? []
      if uplinkAddresses.contains(where: {
        $0.prefixLength <= network.gateway.prefixLength && $0.network.contains(network.gateway.address)
      }) {
        return true
      }
    }
    return false
  }
}
