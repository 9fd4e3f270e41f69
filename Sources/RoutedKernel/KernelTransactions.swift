import RoutedCore

/// The kernel operations of the use cases, each read → decide (RoutedCore) → execute.
extension KernelHandle {
  /// Applies a plan atomically; `beforeChanges` runs between reading and the first change.
  public func apply(_ plan: Plan, beforeChanges: () throws -> Void = {}) throws -> ApplyReport {
    let view = try read(ApplyDecision.query(for: plan))
    let changes: KernelChanges
    do { changes = try ApplyDecision.decide(plan, view: view) } catch { throw SystemError(error) }
    try beforeChanges()
    try execute(changes.steps)
    return changes.report
  }

  /// Removes host-wide objects (tables, peer routes, gateway addresses), for `host down`.
  public func removeBaseline(_ objects: [KernelObject]) throws -> ApplyReport {
    let changes = BaselineRemovalDecision.decide(
      objects, view: try read(BaselineRemovalDecision.query(for: objects)))
    try execute(changes.steps)
    return changes.report
  }

  /// The subset of `objects` that exists in the kernel now (for `status`).
  public func present(_ objects: [KernelObject]) throws -> Set<KernelObject> {
    PresenceCheck.present(objects, view: try read(PresenceCheck.query(for: objects)))
  }

  /// Guest routes a routing daemon installed (BIRD's, FRR's): learned from peers, never ours to change.
  public func learnedRoutes() throws -> [String] {
    rtnetlink.resetCache()
    let routes = try LearnedRoutes.protocols.flatMap { try rtnetlink.routes(routeProtocol: $0) }
    return LearnedRoutes.learned(among: routes).map(\.description)
  }

  /// Every per-guest object we own that exists now.
  public func ownedGuestObjects(routeProtocol: UInt8) throws -> [KernelObject] {
    let owned = try readOwnedObjects(routeProtocol: routeProtocol)
    return PresenceCheck.ownedGuestObjects(
      elements: owned.elements, routes: owned.routes, neighbours: owned.neighbours, routeProtocol: routeProtocol)
  }
}
