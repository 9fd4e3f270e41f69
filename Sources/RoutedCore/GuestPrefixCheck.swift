/// `guest-prefix-overlaps-uplink` (config only): a guest network's IPv6 range against the IPv6 prefixes of the
/// uplinks it uses. Equal to an uplink's prefix, or larger, is critical: the host gets two connected routes for
/// the same addresses on two devices, and one side's hosts are routed into the other. Inside a `proxy-arp`
/// uplink's /64 is scenario II (guests reached on-link through proxy entries): fine. Inside a `routed` or
/// `nat` uplink's prefix is a warning: that link's hosts think the guests are on-link and solicit them, and
/// nobody answers there.
enum GuestPrefixCheck {
  static let id = "guest-prefix-overlaps-uplink"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard let config = context.config, let ipv6 = context.snapshot.ipv6 else { return [] }
    var findings: [Finding] = []
    for network in config.guestNetworks {
      guard let guests = network.subnet6 else { continue }
      for uplink in context.usedUplinks where network.uplinks.contains(uplink.name) {
        for address in ipv6.addresses where address.interface == uplink.interface && !address.address.address.isLinkLocal {
          let prefix = address.address.network
          guard prefix.overlaps(guests) else { continue }
          let inside = guests.prefixLength > prefix.prefixLength
          if inside && uplink.mode == .proxyARP { continue }
          findings.append(
            Finding(
              id: id, severity: inside ? .warning : .critical,
              summary: inside
                ? "guest network '\(network.name)' (\(guests)) lies inside \(uplink.interface)'s \(prefix), a \(uplink.mode.rawValue) uplink: hosts there solicit the guests on-link and nobody answers"
                : "guest network '\(network.name)' (\(guests)) covers \(uplink.interface)'s \(prefix): two connected routes for one range, and one side's hosts are routed into the other",
              evidence: [
                "guest_network": network.name, "guest_prefix": "\(guests)", "interface": uplink.interface,
                "uplink_prefix": "\(prefix)", "mode": uplink.mode.rawValue,
              ],
              fix: inside
                ? "make \(uplink.name) a proxy-arp uplink, or give the guests a prefix of their own"
                : "give the guests a range inside \(prefix) (a /112, say), or a prefix of their own"))
        }
      }
    }
    return findings
  }
}
