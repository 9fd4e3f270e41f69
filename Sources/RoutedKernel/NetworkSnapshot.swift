import CNetlink
import Glibc
import RoutedCore

/// Read-only: links, addresses and main-table routes as a `HostSnapshot`, through rtnetlink alone, so the
/// hook's `prepare` can run doctor's start checks without a child process.
extension KernelHandle {
  /// With `routesTo`, only the routes the kernel would use for those addresses (FIB lookups, no dump).
  /// With `bridges`, only those bridges and their ports, not every link: a host has a tap per guest.
  public func readNetworkSnapshot(routesTo: [IPv4Address]? = nil, bridges: [String]? = nil) throws
    -> HostSnapshot
  {
    let channel = rtnetlink.channel
    var raw: [LinkMessage] = []
    if let bridges {
      for name in bridges {
        let reply = try channel.request(
          RtnetlinkMessage.getLink(name: name, sequence: channel.nextSequence()))
        guard reply.error == 0, let bridge = reply.messages.lazy.compactMap(LinkMessage.init).first else {
          continue
        }
        raw.append(bridge)
        let ports = try channel.request(
          RtnetlinkMessage.getPorts(ofMaster: bridge.index, sequence: channel.nextSequence()))
        if ports.error != 0 { throw SystemError.system("dump ports of \(name)", ports.error) }
        raw += ports.messages.compactMap(LinkMessage.init).filter { $0.master == bridge.index }
      }
    } else {
      let linkReply = try channel.request(RtnetlinkMessage.getLinks(sequence: channel.nextSequence()))
      if linkReply.error != 0 { throw SystemError.system("dump links", linkReply.error) }
      raw = linkReply.messages.compactMap(LinkMessage.init)
    }
    var names = LinkNames(raw.map { ($0.index, $0.name) })
    let addresses = try rtnetlink.addresses()
    let links = raw.map { link in
      HostSnapshot.Link(
        name: link.name, index: Int(link.index), mtu: link.mtu, flags: link.flagNames,
        master: link.master.flatMap { names[$0] }, kind: link.kind,
        addresses: addresses.filter { $0.index == link.index }.compactMap(\.address.v4))
    }
    let routes: [HostSnapshot.Route]
    if let addresses = routesTo {
      // The hook's path: one FIB lookup per address, so a start costs the same with 10 or 4,000 routes.
      routes = try addresses.flatMap { address -> [HostSnapshot.Route] in
        let reply = try channel.request(
          RtnetlinkMessage.getRoute(matching: .v4(address), sequence: channel.nextSequence()))
        guard reply.error == 0 else { return [] }
        // Route devices outside the bridges read are named one lookup each.
        let routes = reply.messages.compactMap(RouteMessage.init)
        for index in routes.flatMap(\.deviceIndexes) where names[index] == nil {
          if let name = try rtnetlink.linkName(index: index) { names.add(index, name) }
        }
        return routes.compactMap { $0.snapshotRoute(names: names) }
      }
    } else {
      let routeReply = try channel.request(RtnetlinkMessage.getRoutes(sequence: channel.nextSequence()))
      if routeReply.error != 0 { throw SystemError.system("dump routes", routeReply.error) }
      routes = routeReply.messages.compactMap { RouteMessage($0)?.snapshotRoute(names: names) }
    }
    return HostSnapshot(links: links, routes: routes)
  }
}

extension LinkMessage {
  /// The flags doctor looks at, by the names `ip` prints.
  var flagNames: [String] {
    [(IFF_UP, "UP"), (IFF_NOARP, "NOARP"), (IFF_LOOPBACK, "LOOPBACK")]
      .filter { flags & UInt32($0.0) != 0 }.map(\.1)
  }
}

/// Main-table unicast routes, with every hop of a multipath route, named for doctor.
extension RouteMessage {
  func snapshotRoute(names: LinkNames) -> HostSnapshot.Route? {
    // Doctor's snapshot is IPv4 (`ip -4`); IPv6 routes are not read into it.
    guard route.type == KernelRoute.unicast, route.table == KernelRoute.mainTable,
      let destination = route.destination.v4
    else { return nil }
    var devices = route.outputIndex.flatMap { names[$0] }.map { [$0] } ?? []
    devices += hops.compactMap { names[$0.index] }
    return HostSnapshot.Route(
      destination: destination,
      gateway: (route.gateway ?? hops.lazy.compactMap { $0.gateway }.first)?.v4,
      devices: devices, routeProtocol: HostSnapshot.Route.protocolName(Int(route.routeProtocol)),
      metric: metric)
  }
}

/// Interface names by index. A dump with `bridges` holds a bridge and its ports, without it every link, so
/// a dictionary keeps lookups O(1) there; the hook's path (a few links) stays off `Dictionary<Int32, …>`,
/// whose first use costs a run-time scan of the binary's protocol conformances.
struct LinkNames {
  private var few: [(index: Int32, name: String)] = []
  private var many: [Int32: String]?

  init(_ pairs: [(Int32, String)]) {
    if pairs.count <= 16 {
      few = pairs.map { (index: $0.0, name: $0.1) }
    } else {
      many = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }
  }

  subscript(index: Int32) -> String? {
    if let many { return many[index] }
    return few.first { $0.index == index }?.name
  }

  mutating func add(_ index: Int32, _ name: String) {
    if many != nil {
      many![index] = name
    } else if self[index] == nil {
      few.append((index, name))
    }
  }
}
