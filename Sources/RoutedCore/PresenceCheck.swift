/// Which objects of a plan or a record the kernel holds now (`status`, `reconcile`), and which per-guest
/// objects we own that exist.
public enum PresenceCheck {
  public static func query(for objects: [KernelObject]) -> KernelQuery {
    var query = KernelQuery()
    for object in objects { query.include(object) }
    return query
  }

  /// The subset of `objects` the kernel holds, as the view shows it.
  public static func present(_ objects: [KernelObject], view: KernelView) -> Set<KernelObject> {
    var present = Set<KernelObject>()
    for object in objects where isPresent(object, view: view) { present.insert(object) }
    return present
  }

  static func isPresent(_ object: KernelObject, view: KernelView) -> Bool {
    switch object {
    case .element(let set, let key, let comment):
      return view.holdsElement(set, key, comment: comment)
    case .link(let name, let mtu):
      guard let link = view.link(named: name) else { return false }
      return link.mtu == mtu && link.isUp
    case .address(let name, let address, _):
      return view.address(address, on: name) != nil
    case .sysctl(let setting):
      return view.sysctl(setting) == setting.value
    case .table(let table):
      return view.tables.contains(table)
    case .set(let set):
      return view.hasSet(set)
    case .chain(let chain):
      return view.hasChain(chain) && view.ourRules(in: chain).compactMap(\.tag) == chain.rules.map(\.tag)
    case .route(let route):
      guard let link = view.link(named: route.device) else { return false }
      return view.has(route, outputIndex: link.index)
    case .neighbour(let neighbour):
      return view.neighbour(neighbour.address, on: neighbour.device)?.routeProtocol == neighbour.routeProtocol
    }
  }

  /// Every per-guest object we own among what exists: set elements whose comment is not "host", /32 and
  /// /128 unicast routes with our protocol (`routes` are those with `routeProtocol`, devices named), and proxy
  /// neighbour entries with our protocol (devices named).
  public static func ownedGuestObjects(
    elements: [KernelElement], routes: [KernelRoute], neighbours: [KernelNeighbour] = [], routeProtocol: UInt8
  ) -> [KernelObject] {
    var objects: [KernelObject] = []
    for element in elements where element.comment != Planner.hostComment {
      objects.append(.element(element.set, element.key, comment: element.comment ?? ""))
    }
    for route in routes where route.destination.isHost && route.type == KernelRoute.unicast {
      objects.append(
        .route(
          OwnedRoute(
            destination: route.destination, gateway: route.gateway, device: route.outputName ?? "",
            routeProtocol: routeProtocol, metric: route.ownedMetric)))
    }
    for neighbour in neighbours where neighbour.routeProtocol == routeProtocol {
      objects.append(
        .neighbour(
          ProxyNeighbour(
            address: neighbour.address, device: neighbour.deviceName ?? "", routeProtocol: routeProtocol)))
    }
    return objects
  }
}
