/// `peer-gateway-off-link` (critical): a route of ours (or a config peer route) whose gateway is in no
/// subnet of the interface it names. The kernel refuses such a route (or, with `onlink`, sends into the
/// void), so the peer's guests are unreachable or reached by some other path.
enum GatewayCheck {
  static let id = "peer-gateway-off-link"

  static func findings(_ context: DoctorContext) -> [Finding] {
    var routes: [(destination: IPv4Network, gateway: IPv4Address, device: String, source: String)] = []
    for uplink in context.config?.uplinks ?? [] {
      for peer in uplink.peers {
        routes.append((peer.subnet, peer.via, uplink.interface, "config uplink \(uplink.name)"))
      }
    }
    for route in context.snapshot.routes where route.routeProtocol == context.routeProtocol {
      guard let gateway = route.gateway else { continue }
      for device in route.devices { routes.append((route.destination, gateway, device, "kernel route")) }
    }
    var seen = Set<String>()
    return routes.compactMap { route in
      let text = "\(route.destination) via \(route.gateway) dev \(route.device)"
      let addresses = context.snapshot.link(route.device)?.addresses ?? []
      guard seen.insert(text).inserted, !addresses.contains(where: { $0.network.contains(route.gateway) })
      else {
        return nil
      }
      return Finding(
        id: id, severity: .critical,
        summary: "route \(text): \(route.gateway) is in no subnet of \(route.device) (\(addresses.listText))",
        evidence: [
          "route": text, "gateway": "\(route.gateway)", "interface": route.device,
          "interface_addresses": addresses.listText, "source": route.source,
        ],
        fix:
          "use the peer's address on the link \(route.device) shares with it as the gateway, or the right interface"
      )
    }
  }
}
