/// Routes a routing daemon installed for guests that run on other hosts: BIRD's own routes (protocol
/// `bird`, 12; BIRD cannot use another number) and FRR's (`bgp`, 186). routed-hook never changes them,
/// and they never block its own: a guest that runs here gets its /32 beside the daemon's copy, at a lower
/// metric, so the kernel routes to the guest here and the daemon's copy is only a fallback (BIRD withdraws
/// it as soon as it learns the local route).
public enum LearnedRoutes {
  public static let protocols: [UInt8] = [BirdConfig.birdRouteProtocol, 186]

  /// Whether a route of `routeProtocol` for `destination` is a daemon's copy of a guest announced elsewhere.
  public static func isLearned(routeProtocol: UInt8, destination: IPNetwork) -> Bool {
    destination.isHost && protocols.contains(routeProtocol)
  }

  /// The daemons' guest routes among `routes`, by address (what `status` lists).
  public static func learned(among routes: [KernelRoute]) -> [KernelRoute] {
    routes.filter { isLearned(routeProtocol: $0.routeProtocol, destination: $0.destination) }
      .sorted { $0.destination.address < $1.destination.address }
  }

  /// The same for a route read as text, where the protocol is `ip route`'s name or a number.
  static func isLearned(_ route: HostSnapshot.Route) -> Bool {
    guard route.destination.prefixLength == 32 else { return false }
    switch route.routeProtocol {
    case "bird", "bgp", "12", "186": return true
    default: return false
    }
  }
}
