/// Decides how host-wide objects (tables, peer routes, gateway addresses) are removed, for `host down`.
/// Links and sysctls are left as they are: their earlier values are not known. Nothing is undone on failure:
/// each step removes something that is not needed any more.
public enum BaselineRemovalDecision {
  public static func query(for objects: [KernelObject]) -> KernelQuery {
    var query = KernelQuery()
    query.nftables = true
    for object in objects {
      switch object {
      case .route(let route):
        query.link(route.device)
        query.route(route.destination)
      case .chain(let chain): query.chains.append(NftObjectName(table: chain.table, name: chain.name))
      case .element(let set, let key, _): query.element(set, key)
      case .address:
        query.include(object)
      default: continue
      }
    }
    return query
  }

  /// Routes first (they may go through the gateway address removed last), then one deleting transaction
  /// (whole tables, or the parts of tables that stay), then the addresses we added.
  public static func decide(_ objects: [KernelObject], view: KernelView) -> KernelChanges {
    var changes = KernelChanges()
    for object in objects {
      guard case .route(let route) = object else { continue }
      if let link = view.link(named: route.device), let existing = view.route(exactly: route.destination),
        existing.isSame(as: route, outputIndex: link.index)
      {
        changes.steps.append(PlannedStep(.changeRoute(RouteChange(.delete, route, outputIndex: link.index))))
        changes.report.removed.append(object)
      } else {
        changes.report.unchanged += 1
      }
    }

    let dropped = objects.compactMap { object -> OwnedTable? in
      if case .table(let table) = object, view.tables.contains(table) { return table }
      return nil
    }
    var batch: [NftOperation] = []
    var sets: [OwnedSet] = []
    var elements: [(set: OwnedSet, key: SetElementKey, comment: String)] = []
    for object in objects {
      switch object {
      case .table(let table):
        if dropped.contains(table) {
          batch.append(.deleteTable(table))
          changes.report.removed.append(object)
        } else {
          changes.report.unchanged += 1
        }
      case .chain(let chain) where !dropped.contains(chain.table):
        if view.hasChain(chain) {
          batch += view.ourRules(in: chain).map(NftOperation.deleteRule)
          batch.append(.deleteChain(NftObjectName(table: chain.table, name: chain.name)))
          changes.report.removed.append(object)
        } else {
          changes.report.unchanged += 1
        }
      case .set(let set) where !dropped.contains(set.table):
        sets.append(set)
      case .element(let set, let key, let comment) where !dropped.contains(set.table):
        elements.append((set, key, comment))
      case .chain, .set, .element:
        // Inside a table deleted above: it goes with the table.
        changes.report.removed.append(object)
      case .link, .sysctl, .address, .route, .neighbour:
        continue
      }
    }
    for element in elements {
      if view.holdsElement(element.set, element.key, comment: element.comment) {
        // An element of a set deleted below goes with its set.
        if !sets.contains(element.set) { batch.append(.deleteElement(element.set, element.key)) }
        changes.report.removed.append(.element(element.set, element.key, comment: element.comment))
      } else {
        changes.report.unchanged += 1
      }
    }
    // Sets last: the rules that look them up are deleted earlier in the same transaction.
    for set in sets {
      if view.hasSet(set) {
        batch.append(.deleteSet(set))
        changes.report.removed.append(.set(set))
      } else {
        changes.report.unchanged += 1
      }
    }
    if !batch.isEmpty { changes.steps.append(PlannedStep(.commit(batch))) }

    // Addresses we added (IFA_PROTO is ours); someone else's address is never removed.
    for object in objects {
      switch object {
      case .address(let name, let address, let routeProtocol):
        if let link = view.link(named: name), let existing = view.address(address, on: name),
          existing.routeProtocol == routeProtocol
        {
          changes.steps.append(
            PlannedStep(.changeAddress(add: false, link, address, routeProtocol: routeProtocol)))
          changes.report.removed.append(object)
        } else {
          changes.report.unchanged += 1
        }
      case .link, .sysctl:
        changes.report.unchanged += 1
      default:
        continue
      }
    }
    return changes
  }
}
