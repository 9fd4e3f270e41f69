/// `moved-guest-unanswered` (critical, BGP hosts): a guest bridge that cannot answer ARP for guest addresses
/// routed elsewhere.
///
/// Guests have a wide netmask, so they ARP on their own bridge for every other guest, including one that
/// moved from here to another host. Nobody else answers there: the kernel's proxy ARP on the bridge does,
/// for exactly the addresses whose best route leaves by another device (a BGP route over the uplink), and
/// never for a guest that runs here (its /32 points at the bridge) or an unused address (the bridge's own
/// connected subnet). It needs `proxy_arp` and `forwarding` on the bridge; without either, the guests left
/// behind lose every guest that moved away, and every other host's guest.
enum MovedGuestCheck {
  static let id = "moved-guest-unanswered"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard let config = context.config, config.bgp != nil else { return [] }
    let sysctls = context.snapshot.sysctls
    return config.guestNetworks.compactMap { network in
      guard context.snapshot.link(network.bridge) != nil else { return nil }
      let off = [
        sysctls.proxyARP(network.bridge) ? nil : "proxy_arp",
        sysctls.forwarding(network.bridge) ? nil : "forwarding",
      ].compactMap { $0 }
      guard !off.isEmpty else { return nil }
      let elsewhere = context.snapshot.routes.filter {
        LearnedRoutes.isLearned($0) && network.subnet.contains($0.destination.address)
      }
      var evidence = ["bridge": network.bridge, "off": off.joined(separator: ", ")]
      if !elsewhere.isEmpty {
        evidence["routed elsewhere"] = elsewhere.map(\.text).joined(separator: "; ")
      }
      let moved = elsewhere.isEmpty ? "" : " (\(elsewhere.count) of its addresses now run elsewhere)"
      return Finding(
        id: id, severity: .critical,
        summary:
          "\(network.bridge) has \(off.joined(separator: " and ")) off: its guests get no ARP answer for guests on other hosts or for a guest that moved away\(moved)",
        evidence: evidence,
        fix: off.map { "sysctl -w net.ipv4.conf.\(network.bridge).\($0)=1" }.joined(separator: "; ")
          + " (or routed-hook host up)")
    }
  }
}
