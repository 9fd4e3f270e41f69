/// `accept-ra-ignored` (warning): an interface behaves as an IPv6 router (`forwarding=1`, as every interface
/// does after `conf/all/forwarding=1`) with `accept_ra=1`, so the kernel ignores router advertisements there,
/// and it holds an address from SLAAC (`dynamic`) or a default route from an RA: both expire with their
/// lifetimes, and the host loses IPv6 on that link. `accept_ra=2` accepts RAs with forwarding on.
enum RouterAdvertisementCheck {
  static let id = "accept-ra-ignored"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard let ipv6 = context.snapshot.ipv6 else { return [] }
    var findings: [Finding] = []
    for link in context.snapshot.links.sorted(by: { $0.name < $1.name }) {
      guard let settings = ipv6.sysctls[link.name], settings.forwarding != 0, settings.acceptRA == 1 else {
        continue
      }
      let slaac = ipv6.addresses.filter { $0.interface == link.name && $0.flags.contains("dynamic") }
      let routes = ipv6.defaultRoutes.filter { $0.device == link.name && ($0.routeProtocol == "9" || $0.routeProtocol == "ra") }
      guard !slaac.isEmpty || !routes.isEmpty else { continue }
      var evidence = [
        "interface": link.name, "net.ipv6.conf.\(link.name).forwarding": "1",
        "net.ipv6.conf.\(link.name).accept_ra": "1",
        "net.ipv6.conf.all.forwarding": "\(ipv6.sysctls["all"]?.forwarding ?? 0)",
      ]
      if !slaac.isEmpty { evidence["slaac_addresses"] = slaac.map { "\($0.address)" }.joined(separator: ", ") }
      if !routes.isEmpty { evidence["default_route"] = "from a router advertisement" }
      findings.append(
        Finding(
          id: id, severity: .warning,
          summary:
            "\(link.name) forwards IPv6 with accept_ra=1: router advertisements are ignored, and its autoconfigured address or default route expires",
          evidence: evidence, fix: "sysctl -w net.ipv6.conf.\(link.name).accept_ra=2"))
    }
    return findings
  }
}
