/// Decides how a `Plan` becomes kernel steps, from a `KernelView` read for it: the baseline made
/// idempotently, the guest's changes added and removed, atomically. Pure: the effect layer reads
/// `query(for:)`, and performs the steps in order.
///
/// The steps are (1) links, addresses and sysctls, (2) one nftables transaction with every nft change,
/// (3) routes. Routes and the guest's part of the transaction carry undos: when a route fails, the routes
/// already changed and the guest's nft changes are reversed. Lookups go through arrays: a plan holds a few
/// dozen objects, and each hashed key type would cost a run-time scan of the binary's conformances.
public enum ApplyDecision {
  /// What to read before deciding.
  public static func query(for plan: Plan) -> KernelQuery {
    var query = KernelQuery()
    for object in plan.baseline where object.route == nil && object.elementKey == nil && object.neighbour == nil {
      query.include(object)
    }
    // Elements, then routes, in the order they are decided: removals, baseline, additions.
    let (adds, removals) = split(plan.guestChanges)
    let decided = removals + plan.baseline + adds
    for object in decided where object.elementKey != nil { query.include(object) }
    for object in decided where object.route != nil { query.include(object) }
    for object in decided where object.neighbour != nil { query.include(object) }
    return query
  }

  /// The steps that make the kernel hold the plan, or why not.
  public static func decide(_ plan: Plan, view: KernelView) throws(KernelRefusal) -> KernelChanges {
    var report = ApplyReport()
    var host: [PlannedStep] = []
    var batch: [NftOperation] = []
    var undo: [NftOperation] = []
    var routeSteps: [PlannedStep] = []

    for object in plan.baseline {
      switch object {
      case .link(let name, let mtu):
        let link = try existing(name, view)
        if link.mtu == mtu && link.isUp {
          report.unchanged += 1
        } else {
          host.append(PlannedStep(.setLink(link, mtu: mtu)))
          report.added.append(object)
        }
      case .address(let name, let address, let routeProtocol):
        let link = try existing(name, view)
        if view.address(address, on: name) != nil {
          report.unchanged += 1
        } else {
          host.append(PlannedStep(.changeAddress(add: true, link, address, routeProtocol: routeProtocol)))
          report.added.append(object)
        }
      case .sysctl(let setting):
        guard let current = view.sysctl(setting) else {
          throw KernelRefusal(.noSuchSysctl, "\(setting): no such interface \(setting.interface)")
        }
        if current == setting.value {
          report.unchanged += 1
        } else {
          host.append(PlannedStep(.writeSysctl(setting)))
          report.added.append(object)
        }
      case .table(let table):
        if view.tables.contains(table) {
          report.unchanged += 1
        } else {
          batch.append(.addTable(table))
          report.added.append(object)
        }
      case .set(let set):
        if view.hasSet(set) {
          report.unchanged += 1
        } else {
          batch.append(.addSet(set))
          report.added.append(object)
        }
      case .chain(let chain):
        let operations = ensure(chain, view: view)
        if operations.isEmpty {
          report.unchanged += 1
        } else {
          batch += operations
          report.added.append(object)
        }
      case .element, .route, .neighbour:
        continue
      }
    }

    // Guest changes: removals go first, so a key that changes owner is deleted before it is re-added in the
    // same transaction; an object both removed and added stays.
    let (adds, removals) = split(plan.guestChanges)
    report.unchanged += plan.guestChanges.count - adds.count - removals.count

    var seen: [KernelObject] = []
    func firstSight(_ object: KernelObject) -> Bool {
      if seen.contains(object) { return false }
      seen.append(object)
      return true
    }
    for object in removals where firstSight(object) {
      guard case .element(let set, let key, let comment) = object else { continue }
      if view.holdsElement(set, key, comment: comment) {
        batch.append(.deleteElement(set, key))
        undo.append(.addElement(set, key, comment: comment))
        report.removed.append(object)
      } else {
        report.unchanged += 1
      }
    }
    for object in plan.baseline where firstSight(object) {
      guard case .element(let set, let key, let comment) = object else { continue }
      if view.holdsElement(set, key, comment: comment) {
        report.unchanged += 1
      } else {
        batch.append(.addElement(set, key, comment: comment))
        report.added.append(object)
      }
    }
    for object in adds where firstSight(object) {
      guard case .element(let set, let key, let comment) = object else { continue }
      if view.holdsElement(set, key, comment: comment) {
        report.unchanged += 1
      } else {
        batch.append(.addElement(set, key, comment: comment))
        undo.append(.deleteElement(set, key))
        report.added.append(object)
      }
    }

    // Routes: a foreign route for the same prefix stops everything here. A route that only changes its
    // metric (a migration claim) is added before the old one is deleted, so BIRD never sees the guest
    // without a route; every other removal goes first.
    let removedRoutes = removals.compactMap(\.route)
    let addedRoutes = adds.compactMap(\.route)
    let handedOver = removedRoutes.filter { old in
      addedRoutes.contains { $0.destination == old.destination && $0.metric != old.metric }
    }
    let routes =
      removedRoutes.filter { !handedOver.contains($0) }.map { (ChangeKind.remove, $0) }
      + plan.baseline.compactMap { $0.route.map { (ChangeKind.add, $0) } }
      + addedRoutes.map { (ChangeKind.add, $0) }
      + handedOver.map { (ChangeKind.remove, $0) }
    for (kind, route) in routes {
      // A route whose device is gone is gone too: removing it is already done.
      guard let link = view.link(named: route.device) else {
        if kind == .remove {
          report.unchanged += 1
          continue
        }
        throw KernelRefusal(.noSuchInterface, "route \(route): no such interface \(route.device)")
      }
      let ours = view.routes(exactly: route.destination, routeProtocol: route.routeProtocol)
      switch kind {
      case .add:
        if ours.contains(where: { $0.isSame(as: route, outputIndex: link.index) }) {
          report.unchanged += 1
        } else if let existing = ours.first(where: { $0.ownedMetric == route.metric }) {
          // Ours at the same metric, another device or gateway: the kernel keeps one route per metric.
          let previous = OwnedRoute(
            destination: existing.destination, gateway: existing.gateway, device: existing.outputName ?? "",
            routeProtocol: existing.routeProtocol, metric: existing.ownedMetric)
          routeSteps.append(
            PlannedStep(
              .changeRoute(RouteChange(.replace, route, outputIndex: link.index)),
              undo: .changeRoute(RouteChange(.replace, previous, outputIndex: existing.outputIndex ?? 0))))
          report.added.append(.route(route))
        } else if let existing = view.route(exactly: route.destination),
          existing.routeProtocol != route.routeProtocol,
          !LearnedRoutes.isLearned(routeProtocol: existing.routeProtocol, destination: existing.destination)
        {
          throw collision(route, existing)
        } else {
          // A routing daemon's route for a guest address (BGP learned it from the host it ran on) is not
          // ours and not in our way: ours goes beside it (at metric 0 it wins; while arriving it loses).
          routeSteps.append(reversible(RouteChange(.add, route, outputIndex: link.index)))
          report.added.append(.route(route))
        }
      case .remove:
        if ours.contains(where: { $0.isSame(as: route, outputIndex: link.index) }) {
          routeSteps.append(reversible(RouteChange(.delete, route, outputIndex: link.index)))
          report.removed.append(.route(route))
        } else {
          report.unchanged += 1
        }
      }
    }

    // Proxy neighbour entries: removed before the routes go, added once the routes are there, so the host
    // never answers for an address it cannot route.
    var neighbourRemovals: [PlannedStep] = []
    var neighbourAdds: [PlannedStep] = []
    // The element loops above marked every guest object seen; neighbours keep their own list.
    var neighboursSeen: [ProxyNeighbour] = []
    func firstSight(_ neighbour: ProxyNeighbour) -> Bool {
      if neighboursSeen.contains(neighbour) { return false }
      neighboursSeen.append(neighbour)
      return true
    }
    for object in removals {
      guard case .neighbour(let neighbour) = object, firstSight(neighbour) else { continue }
      guard let link = view.link(named: neighbour.device),
        let existing = view.neighbour(neighbour.address, on: neighbour.device),
        existing.routeProtocol == neighbour.routeProtocol
      else {
        report.unchanged += 1
        continue
      }
      neighbourRemovals.append(reversible(neighbour, add: false, outputIndex: link.index))
      report.removed.append(object)
    }
    for object in adds {
      guard case .neighbour(let neighbour) = object, firstSight(neighbour) else { continue }
      guard let link = view.link(named: neighbour.device) else {
        throw KernelRefusal(.noSuchInterface, "neighbour \(neighbour): no such interface \(neighbour.device)")
      }
      if let existing = view.neighbour(neighbour.address, on: neighbour.device) {
        guard existing.routeProtocol == neighbour.routeProtocol else { throw collision(neighbour, existing) }
        report.unchanged += 1
        continue
      }
      neighbourAdds.append(reversible(neighbour, add: true, outputIndex: link.index))
      report.added.append(object)
    }

    var steps = host
    if !batch.isEmpty { steps.append(PlannedStep(.commit(batch), undo: undo.isEmpty ? nil : .commit(undo))) }
    return KernelChanges(steps: steps + neighbourRemovals + routeSteps + neighbourAdds, report: report)
  }

  /// A proxy entry someone else made holds the address on that device.
  public static func collision(_ neighbour: ProxyNeighbour, _ existing: KernelNeighbour) -> KernelRefusal {
    KernelRefusal(
      .foreignNeighbour,
      "neighbour \(neighbour): collides with an existing proxy entry of protocol \(existing.routeProtocol), which routed-hook does not own"
    )
  }

  /// A route that someone else owns holds the prefix: the message names both routes.
  public static func collision(_ route: OwnedRoute, _ existing: KernelRoute) -> KernelRefusal {
    KernelRefusal(
      .foreignRoute,
      "route \(route): collides with existing route \(existing), which routed-hook does not own")
  }

  /// An add that failed with EEXIST after the view was read: a collision when the entry found is not ours.
  public static func collision(adding neighbour: ProxyNeighbour, found existing: KernelNeighbour)
    -> KernelRefusal?
  {
    existing.routeProtocol == neighbour.routeProtocol ? nil : collision(neighbour, existing)
  }

  /// An add that failed with EEXIST after the view was read: a collision when the route found is not ours.
  public static func collision(adding route: OwnedRoute, found existing: KernelRoute) -> KernelRefusal? {
    existing.routeProtocol == route.routeProtocol ? nil : collision(route, existing)
  }

  /// The plan's additions and removals; an object both added and removed is neither.
  static func split(_ changes: [KernelChange]) -> (adds: [KernelObject], removals: [KernelObject]) {
    let adds = changes.filter { $0.kind == .add }.map(\.object)
    let removals = changes.filter { $0.kind == .remove && !adds.contains($0.object) }.map(\.object)
    return (adds, removals)
  }

  static func existing(_ name: String, _ view: KernelView) throws(KernelRefusal) -> KernelLink {
    guard let link = view.link(named: name) else {
      throw KernelRefusal(.noSuchInterface, "link \(name): no such interface")
    }
    return link
  }

  /// A route change undone by its inverse (add ↔ delete).
  static func reversible(_ change: RouteChange) -> PlannedStep {
    var inverse = change
    inverse.operation = change.operation == .add ? .delete : .add
    return PlannedStep(.changeRoute(change), undo: .changeRoute(inverse))
  }

  /// A proxy neighbour entry's add or delete, undone by the other.
  static func reversible(_ neighbour: ProxyNeighbour, add: Bool, outputIndex: Int32) -> PlannedStep {
    PlannedStep(
      .changeNeighbour(add: add, neighbour, outputIndex: outputIndex),
      undo: .changeNeighbour(add: !add, neighbour, outputIndex: outputIndex))
  }

  /// Makes a chain's tagged rules exactly the plan's, in order; no operations when they already are.
  /// Appending is enough when the kernel has a prefix of them; otherwise they are rebuilt in the same batch.
  static func ensure(_ chain: OwnedChain, view: KernelView) -> [NftOperation] {
    guard view.hasChain(chain) else {
      return [.addChain(chain)] + chain.rules.map { .addRule($0, in: chain) }
    }
    let wanted = chain.rules.map(\.tag)
    let existing = view.ourRules(in: chain)
    let tags = existing.compactMap(\.tag)
    if tags == wanted { return [] }
    if tags.count < wanted.count && Array(wanted.prefix(tags.count)) == tags {
      return chain.rules.dropFirst(tags.count).map { .addRule($0, in: chain) }
    }
    return existing.map(NftOperation.deleteRule) + chain.rules.map { .addRule($0, in: chain) }
  }
}

extension KernelObject {
  var route: OwnedRoute? {
    if case .route(let route) = self { return route }
    return nil
  }

  var neighbour: ProxyNeighbour? {
    if case .neighbour(let neighbour) = self { return neighbour }
    return nil
  }

  var elementKey: SetElementKey? {
    if case .element(_, let key, _) = self { return key }
    return nil
  }
}
