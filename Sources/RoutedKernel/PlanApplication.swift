import Glibc
import RoutedCore

/// One route change of step 3, with what it takes to undo it.
private enum RouteStep {
  case add(OwnedRoute)
  /// Replaces our own stale route for the same prefix; `previous` restores it.
  case replace(OwnedRoute, previous: OwnedRoute)
  case delete(OwnedRoute)
}

extension KernelApplier {
  /// Applies a plan: baseline ensured idempotently, guest changes added/removed, atomically.
  ///
  /// Everything is read first; then (1) links, addresses and sysctls, (2) one nftables transaction with
  /// every nft change, (3) routes. When step 3 fails, the guest's part of step 2 and the routes already
  /// changed are undone before the error is thrown. `beforeChanges` runs between reading and step 1.
  public func apply(_ plan: Plan, beforeChanges: () throws -> Void = {}) throws -> ApplyReport {
    rtnetlink.resetCache()
    let state = KernelState(rtnetlink: rtnetlink, nftables: nftables)
    var report = ApplyReport()
    var hostSteps: [() throws -> Void] = []
    var batch = NftBatch()
    var undo = NftBatch()
    var routeSteps: [RouteStep] = []

    // Read and decide. Nothing changes in the kernel until every check has passed.
    // Sysctls are read in one visit to the namespace. Lookups here go through arrays: a plan holds a few
    // dozen objects, and each hashed key type would cost a run-time scan of the binary's conformances.
    let settings = plan.baseline.compactMap { object -> InterfaceSysctl? in
      if case .sysctl(let setting) = object { return setting }
      return nil
    }
    let sysctls = try inNamespace { try settings.map { (setting: $0, value: try Sysctl.read($0)) } }
    for object in plan.baseline {
      switch object {
      case .link(let name, let mtu):
        let link = try rtnetlink.requireLink(name)
        if link.mtu == mtu && link.isUp {
          report.unchanged += 1
        } else {
          hostSteps.append { try rtnetlink.setLink(link, mtu: mtu) }
          report.added.append(object)
        }
      case .address(let name, let address, let routeProtocol):
        let link = try rtnetlink.requireLink(name)
        if try state.hasAddress(address, on: name) {
          report.unchanged += 1
        } else {
          hostSteps.append {
            try rtnetlink.changeAddress(add: true, link: link, address, routeProtocol: routeProtocol)
          }
          report.added.append(object)
        }
      case .sysctl(let setting):
        guard let current = sysctls.first(where: { $0.setting == setting })?.value ?? nil else {
          throw KernelError(message: "\(setting): no such interface \(setting.interface)", code: ENOENT)
        }
        if current == setting.value {
          report.unchanged += 1
        } else {
          hostSteps.append { try inNamespace { try Sysctl.write(setting) } }
          report.added.append(object)
        }
      case .table(let table):
        if try state.tables().contains(table) {
          report.unchanged += 1
        } else {
          batch.addTable(table)
          report.added.append(object)
        }
      case .set(let set):
        if try state.hasSet(set) {
          report.unchanged += 1
        } else {
          batch.addSet(set)
          report.added.append(object)
        }
      case .chain(let chain):
        if try ensure(chain, state: state, batch: &batch) {
          report.added.append(object)
        } else {
          report.unchanged += 1
        }
      case .element, .route:
        continue
      }
    }

    // Guest changes: removals go first, so a key that changes owner is deleted before it is re-added in the
    // same transaction; an object both removed and added stays.
    let adds = plan.guestChanges.filter { $0.kind == .add }.map(\.object)
    let removals = plan.guestChanges.filter { $0.kind == .remove && !adds.contains($0.object) }.map(\.object)
    report.unchanged += plan.guestChanges.count - adds.count - removals.count

    // Elements: one datagram of GETs answers whether each exists, and with which comment.
    let baselineElements = plan.baseline.compactMap(\.elementQuery)
    let removedElements = removals.compactMap(\.elementQuery)
    let addedElements = adds.compactMap(\.elementQuery)
    let queries = removedElements + baselineElements + addedElements
    let found = try nftables.comments(of: queries.map { ($0.set, $0.key) })
    func comment(_ query: ElementQuery) -> String? {
      found[queries.firstIndex { $0.object == query.object }!]
    }
    var seen: [KernelObject] = []
    func firstSight(_ query: ElementQuery) -> Bool {
      if seen.contains(query.object) { return false }
      seen.append(query.object)
      return true
    }
    for query in removedElements where firstSight(query) {
      if comment(query) == query.comment {
        batch.deleteElement(query.set, query.key)
        undo.addElement(query.set, query.key, comment: query.comment)
        report.removed.append(query.object)
      } else {
        report.unchanged += 1
      }
    }
    for query in baselineElements where firstSight(query) {
      if comment(query) == query.comment {
        report.unchanged += 1
      } else {
        batch.addElement(query.set, query.key, comment: query.comment)
        report.added.append(query.object)
      }
    }
    for query in addedElements where firstSight(query) {
      if comment(query) == query.comment {
        report.unchanged += 1
      } else {
        batch.addElement(query.set, query.key, comment: query.comment)
        undo.deleteElement(query.set, query.key)
        report.added.append(query.object)
      }
    }

    // Routes: each prefix is looked up once; a foreign route for the same prefix stops everything here.
    let routes =
      removals.compactMap { $0.route.map { (ChangeKind.remove, $0) } }
      + plan.baseline.compactMap { $0.route.map { (ChangeKind.add, $0) } }
      + adds.compactMap { $0.route.map { (ChangeKind.add, $0) } }
    for (kind, route) in routes {
      // A route whose device is gone is gone too: removing it is already done.
      guard let link = try rtnetlink.link(named: route.device) else {
        if kind == .remove {
          report.unchanged += 1
          continue
        }
        throw KernelError(message: "route \(route): no such interface \(route.device)", code: ENODEV)
      }
      let existing = try rtnetlink.route(exactly: route.destination)
      switch kind {
      case .add:
        // A routing daemon's route for a guest address (BGP learned it from the host it ran on) is not ours
        // and not in our way: ours goes beside it at metric 0 and wins.
        guard let existing, !LearnedRoutes.isLearned(routeProtocol: existing.routeProtocol, destination: existing.destination)
        else {
          routeSteps.append(.add(route))
          report.added.append(.route(route))
          continue
        }
        if existing.isSame(as: route, outputIndex: link.index) {
          report.unchanged += 1
        } else if existing.routeProtocol == route.routeProtocol {
          routeSteps.append(.replace(route, previous: try owned(existing)))
          report.added.append(.route(route))
        } else {
          throw try collision(route, existing)
        }
      case .remove:
        if let existing, existing.isSame(as: route, outputIndex: link.index) {
          routeSteps.append(.delete(route))
          report.removed.append(.route(route))
        } else {
          report.unchanged += 1
        }
      }
    }

    try beforeChanges()
    // Step 1: host-wide link, address and sysctl state.
    for step in hostSteps { try step() }
    // Step 2: one nftables transaction.
    try nftables.commit(batch)
    // Step 3: routes, undone together with the guest's nft changes if any fails.
    var done: [RouteStep] = []
    do {
      for step in routeSteps {
        try perform(step)
        done.append(step)
      }
    } catch {
      var problems: [String] = []
      for step in done.reversed() {
        do { try perform(inverse(of: step)) } catch { problems.append("\(error)") }
      }
      do { try nftables.commit(undo) } catch { problems.append("\(error)") }
      let rollback =
        problems.isEmpty ? "rolled back" : "rollback incomplete: \(problems.joined(separator: "; "))"
      throw KernelError(message: "\(error) (\(rollback))", code: (error as? KernelError)?.code)
    }
    return report
  }

  /// Makes a chain's tagged rules exactly the plan's, in order; returns whether anything changes.
  /// Appending is enough when the kernel has a prefix of them; otherwise they are rebuilt in the same batch.
  private func ensure(_ chain: OwnedChain, state: KernelState, batch: inout NftBatch) throws -> Bool {
    let wanted = chain.rules.map(\.tag)
    guard try state.chains().contains(NftChainName(table: chain.table, name: chain.name)) else {
      batch.addChain(chain)
      for rule in chain.rules { batch.addRule(rule, in: chain) }
      return true
    }
    let existing = try state.ourRules(in: chain)
    let tags = existing.compactMap(\.tag)
    if tags == wanted { return false }
    if tags.count < wanted.count && Array(wanted.prefix(tags.count)) == tags {
      for rule in chain.rules.dropFirst(tags.count) { batch.addRule(rule, in: chain) }
    } else {
      for rule in existing { batch.deleteRule(rule) }
      for rule in chain.rules { batch.addRule(rule, in: chain) }
    }
    return true
  }

  private func perform(_ step: RouteStep) throws {
    let (operation, route): (RtnetlinkMessage.RouteOperation, OwnedRoute) =
      switch step {
      case .add(let route): (.add, route)
      case .replace(let route, _): (.replace, route)
      case .delete(let route): (.delete, route)
      }
    let reply = try rtnetlink.changeRoute(operation, route)
    guard reply.error != 0 else { return }
    if operation == .add, reply.error == EEXIST,
      let existing = try rtnetlink.route(exactly: route.destination),
      existing.routeProtocol != route.routeProtocol
    {
      throw try collision(route, existing)
    }
    let verb =
      switch operation {
      case .add: "add"
      case .replace: "replace"
      case .delete: "delete"
      }
    throw KernelError.system("route \(route): \(verb)", reply.error, detail: reply.detail)
  }

  private func inverse(of step: RouteStep) -> RouteStep {
    switch step {
    case .add(let route): .delete(route)
    case .replace(let route, let previous): .replace(previous, previous: route)
    case .delete(let route): .add(route)
    }
  }

  /// Our own route as the kernel has it, in plan terms.
  private func owned(_ route: KernelRoute) throws -> OwnedRoute {
    let device = try route.outputIndex.flatMap(rtnetlink.linkName(index:)) ?? ""
    return OwnedRoute(
      destination: route.destination, gateway: route.gateway, device: device,
      routeProtocol: route.routeProtocol)
  }

  private func collision(_ route: OwnedRoute, _ existing: KernelRoute) throws -> KernelError {
    var existing = existing
    existing.outputName = try existing.outputIndex.flatMap(rtnetlink.linkName(index:))
    return KernelError(
      message: "route \(route): collides with existing route \(existing), which routed-hook does not own",
      code: EEXIST)
  }

  /// Removes host-wide objects (tables, peer routes, gateway address); used by `host down` later.
  /// Links and sysctls are left as they are: their earlier values are not known.
  public func removeBaseline(_ objects: [KernelObject]) throws -> ApplyReport {
    rtnetlink.resetCache()
    let state = KernelState(rtnetlink: rtnetlink, nftables: nftables)
    var report = ApplyReport()

    // Routes first: they may go through the gateway address removed last.
    for object in objects {
      guard case .route(let route) = object else { continue }
      if let link = try rtnetlink.link(named: route.device),
        let existing = try rtnetlink.route(exactly: route.destination),
        existing.isSame(as: route, outputIndex: link.index)
      {
        try perform(.delete(route))
        report.removed.append(object)
      } else {
        report.unchanged += 1
      }
    }

    // One deleting transaction: whole tables, or the parts of tables that stay.
    let tables = try state.tables()
    let dropped = Set(
      objects.compactMap { object -> OwnedTable? in
        if case .table(let table) = object, tables.contains(table) { return table }
        return nil
      })
    var batch = NftBatch()
    var sets: [OwnedSet] = []
    var elements: [ElementQuery] = []
    for object in objects {
      switch object {
      case .table(let table):
        if dropped.contains(table) {
          batch.deleteTable(table)
          report.removed.append(object)
        } else {
          report.unchanged += 1
        }
      case .chain(let chain) where !dropped.contains(chain.table):
        let name = NftChainName(table: chain.table, name: chain.name)
        if try state.chains().contains(name) {
          for rule in try state.ourRules(in: chain) { batch.deleteRule(rule) }
          batch.deleteChain(name)
          report.removed.append(object)
        } else {
          report.unchanged += 1
        }
      case .set(let set) where !dropped.contains(set.table):
        sets.append(set)
      case .element(let set, let key, let comment) where !dropped.contains(set.table):
        elements.append(ElementQuery(set: set, key: key, comment: comment))
      case .chain, .set, .element:
        // Inside a table deleted above: it goes with the table.
        report.removed.append(object)
      case .link, .sysctl, .address, .route:
        continue
      }
    }
    let comments = try nftables.comments(of: elements.map { ($0.set, $0.key) })
    for (query, comment) in zip(elements, comments) {
      if comment == query.comment {
        // An element of a set deleted below goes with its set.
        if !sets.contains(query.set) { batch.deleteElement(query.set, query.key) }
        report.removed.append(.element(query.set, query.key, comment: query.comment))
      } else {
        report.unchanged += 1
      }
    }
    // Sets last: the rules that look them up are deleted earlier in the same transaction.
    for set in sets {
      if try state.hasSet(set) {
        batch.deleteSet(set)
        report.removed.append(.set(set))
      } else {
        report.unchanged += 1
      }
    }
    try nftables.commit(batch)

    // Addresses we added (IFA_PROTO is ours); someone else's address is never removed.
    for object in objects {
      switch object {
      case .address(let name, let address, let routeProtocol):
        if let existing = try state.address(address, on: name), existing.routeProtocol == routeProtocol {
          try rtnetlink.changeAddress(
            add: false, link: try rtnetlink.requireLink(name), address, routeProtocol: routeProtocol)
          report.removed.append(object)
        } else {
          report.unchanged += 1
        }
      case .link, .sysctl:
        report.unchanged += 1
      default:
        continue
      }
    }
    return report
  }
}

extension KernelObject {
  var route: OwnedRoute? {
    if case .route(let route) = self { return route }
    return nil
  }
}
