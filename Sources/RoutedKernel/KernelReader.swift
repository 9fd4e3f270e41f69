import RoutedCore

extension KernelHandle {
  /// Reads what `query` asks for into a typed view, in a fixed order: sysctls (one visit to the namespace),
  /// links by name, the address dump, our tables, sets and chains, the rules of each table that holds a
  /// queried chain, one datagram of element GETs, and one FIB lookup per route prefix. The devices of the
  /// routes found are named, one lookup each for those not read already.
  public func read(_ query: KernelQuery) throws -> KernelView {
    rtnetlink.resetCache()
    var view = KernelView()
    if !query.sysctls.isEmpty {
      view.sysctls = zip(query.sysctls, try files.read(query.sysctls)).map(KernelSysctl.init)
    }
    for name in query.links {
      if let link = try rtnetlink.link(named: name) { view.links.append(link) }
    }
    if query.addresses { view.addresses = try rtnetlink.addresses() }
    for (name, address) in query.addresses6 {
      guard let link = view.link(named: name) else { continue }
      if let found = try rtnetlink.address(address, index: link.index) { view.addresses.append(found) }
    }
    if query.nftables {
      view.tables = try nftables.tables()
      view.sets = try nftables.sets()
      view.chains = try nftables.chains()
      var read: [OwnedTable] = []
      for chain in query.chains
      where !read.contains(chain.table) && view.tables.contains(chain.table) && view.chains.contains(chain) {
        read.append(chain.table)
        view.rules += try nftables.rules(in: chain.table)
      }
    }
    let comments = try nftables.comments(of: query.elements.map { ($0.set, $0.key) })
    view.elements = zip(query.elements, comments).map {
      KernelElement(set: $0.set, key: $0.key, comment: $1)
    }
    for destination in query.routes {
      var route = try rtnetlink.route(exactly: destination)
      if let index = route?.outputIndex {
        route?.outputName =
          try view.links.first { $0.index == index }?.name ?? rtnetlink.linkName(index: index)
      }
      view.routes.append(KernelRouteLookup(destination: destination, route: route))
    }
    if let routeProtocol = query.ownedRoutes {
      view.ownedRoutes = try rtnetlink.routes(routeProtocol: routeProtocol)
    }
    for (address, device) in query.neighbours {
      guard let link = view.link(named: device) else { continue }
      if let found = try rtnetlink.neighbour(address, index: link.index) { view.neighbours.append(found) }
    }
    return view
  }

  /// Every element of our sets (tables sorted as nft lists them), every main-table route and IPv6 proxy
  /// entry with `routeProtocol`, devices named: what `status` and `reconcile` compare with the records.
  public func readOwnedObjects(routeProtocol: UInt8) throws -> (
    elements: [KernelElement], routes: [KernelRoute], neighbours: [KernelNeighbour]
  ) {
    rtnetlink.resetCache()
    let tables = try nftables.tables()
    let sets = try nftables.sets().sorted {
      ($0.name.table.rawValue, $0.name.name) < ($1.name.table.rawValue, $1.name.name)
    }
    var elements: [KernelElement] = []
    for found in sets where tables.contains(found.name.table) {
      guard let keyType = found.keyType else { continue }
      let set = OwnedSet(table: found.name.table, name: found.name.name, keyType: keyType)
      for element in try nftables.elements(of: set) {
        elements.append(KernelElement(set: set, key: element.key, comment: element.comment))
      }
    }
    return (
      elements, try rtnetlink.routes(routeProtocol: routeProtocol),
      try rtnetlink.proxyNeighbours(routeProtocol: routeProtocol)
    )
  }
}
