import CNetlink
import Glibc
import RoutedCore

/// rtnetlink requests over one channel: links, addresses, routes.
final class Rtnetlink {
  let channel: NetlinkChannel
  /// Links already asked for, by name and by index: a call asks for a few, and a dictionary's first use
  /// costs a run-time scan of the binary's protocol conformances.
  private var linksByName: [KernelLink] = []
  private var namesByIndex: [(index: Int32, name: String?)] = []

  init(channel: NetlinkChannel) { self.channel = channel }

  /// Forgets cached interface facts, at the start of each public call.
  func resetCache() {
    linksByName = []
    namesByIndex = []
  }

  private func check(_ reply: NetlinkReply, _ what: @autoclosure () -> String) throws {
    if reply.error != 0 { throw SystemError.system(what(), reply.error, detail: reply.detail) }
  }

  /// The interface named `name`, or nil when there is none.
  func link(named name: String) throws -> KernelLink? {
    if let link = linksByName.first(where: { $0.name == name }) { return link }
    let reply = try channel.request(RtnetlinkMessage.getLink(name: name, sequence: channel.nextSequence()))
    if reply.error == ENODEV { return nil }
    try check(reply, "link \(name)")
    guard let link = reply.messages.lazy.compactMap(LinkMessage.init).first?.link else { return nil }
    linksByName.append(link)
    return link
  }

  /// The interface named `name`; throws when it does not exist.
  func requireLink(_ name: String) throws -> KernelLink {
    guard let link = try link(named: name) else {
      throw SystemError("link \(name): no such interface", errno: Errno(ENODEV))
    }
    return link
  }

  /// The name of interface `index`, nil when there is none: one lookup by index, never a dump of every
  /// link (a host has a tap per guest).
  func linkName(index: Int32) throws -> String? {
    if let known = namesByIndex.first(where: { $0.index == index }) { return known.name }
    let reply = try channel.request(RtnetlinkMessage.getLink(index: index, sequence: channel.nextSequence()))
    let name: String?
    if reply.error == ENODEV {
      name = nil
    } else {
      try check(reply, "link #\(index)")
      name = reply.messages.lazy.compactMap(LinkMessage.init).first?.name
    }
    namesByIndex.append((index, name))
    return name
  }

  /// Sets the MTU and IFF_UP.
  func setLink(_ link: KernelLink, mtu: Int) throws {
    let message = RtnetlinkMessage.setLink(
      index: link.index, mtu: UInt32(mtu), sequence: channel.nextSequence())
    try check(try channel.request(message), "link \(link.name): set mtu \(mtu) up")
    linksByName.removeAll { $0.name == link.name }
  }

  /// Every IPv4 address in the namespace.
  func addresses() throws -> [KernelAddress] {
    let reply = try channel.request(RtnetlinkMessage.getAddresses(sequence: channel.nextSequence()))
    try check(reply, "dump addresses")
    return reply.messages.compactMap(AddressMessage.decode)
  }

  /// One IPv6 address on one interface, or nil when it is not there.
  func address(_ address: IPv6Interface, index: Int32) throws -> KernelAddress? {
    let reply = try channel.request(
      RtnetlinkMessage.getAddress(address, index: index, sequence: channel.nextSequence()))
    if reply.error == EADDRNOTAVAIL || reply.error == ENODEV { return nil }
    try check(reply, "address \(address)")
    return reply.messages.lazy.compactMap(AddressMessage.decode).first {
      $0.index == index && $0.address == .v6(address)
    }
  }

  /// Adds (EXCL) or deletes an address.
  func changeAddress(add: Bool, link: KernelLink, _ address: IPInterface, routeProtocol: UInt8) throws {
    let message = RtnetlinkMessage.address(
      add: add, index: link.index, address, routeProtocol: routeProtocol, sequence: channel.nextSequence())
    try check(try channel.request(message), "address \(address) dev \(link.name): \(add ? "add" : "delete")")
  }

  /// The main-table route whose prefix is exactly `destination`, found by a FIB lookup of its address.
  /// Its `outputName` stays nil: callers compare by index, and naming it would take a dump of every link
  /// (a tap per guest) on each call.
  func route(exactly destination: IPNetwork) throws -> KernelRoute? {
    let message = RtnetlinkMessage.getRoute(matching: destination.address, sequence: channel.nextSequence())
    let reply = try channel.request(message)
    // No route at all: the lookup itself fails (ENETUNREACH, EHOSTUNREACH, …), which means absent.
    guard reply.error == 0 else { return nil }
    guard let route = reply.messages.lazy.compactMap({ RouteMessage($0)?.route }).first,
      route.destination == destination, route.table == KernelRoute.mainTable
    else { return nil }
    return route
  }

  /// Every main-table route of both families with protocol `routeProtocol`.
  func routes(routeProtocol: UInt8) throws -> [KernelRoute] {
    var messages: [NetlinkMessage] = []
    for v6 in [false, true] {
      let reply = try channel.request(RtnetlinkMessage.getRoutes(v6: v6, sequence: channel.nextSequence()))
      try check(reply, "dump routes")
      messages += reply.messages
    }
    return try messages.compactMap { RouteMessage($0)?.route }.filter {
      $0.routeProtocol == routeProtocol && $0.table == KernelRoute.mainTable
    }.map { route in
      var route = route
      route.outputName = try route.outputIndex.flatMap(linkName(index:))
      return route
    }
  }

  /// The proxy entry for `address` on interface `index`, or nil.
  func neighbour(_ address: IPv6Address, index: Int32) throws -> KernelNeighbour? {
    let reply = try channel.request(
      RtnetlinkMessage.getNeighbour(address, index: index, sequence: channel.nextSequence()))
    if reply.error == ENOENT || reply.error == ENODEV { return nil }
    try check(reply, "neighbour proxy \(address)")
    return reply.messages.lazy.compactMap(NeighbourMessage.decode).first { $0.address == address }
  }

  /// Every IPv6 proxy entry with protocol `routeProtocol`, devices named.
  func proxyNeighbours(routeProtocol: UInt8) throws -> [KernelNeighbour] {
    let reply = try channel.request(RtnetlinkMessage.getProxyNeighbours(sequence: channel.nextSequence()))
    try check(reply, "dump proxy neighbours")
    return try reply.messages.compactMap(NeighbourMessage.decode).filter { $0.routeProtocol == routeProtocol }
      .map { neighbour in
        var neighbour = neighbour
        neighbour.deviceName = try linkName(index: neighbour.index)
        return neighbour
      }
  }

  /// Adds (EXCL, tagged) or deletes a proxy entry; returns the errno rather than throwing.
  func changeNeighbour(add: Bool, _ neighbour: ProxyNeighbour, index: Int32) throws -> NetlinkReply {
    try channel.request(
      RtnetlinkMessage.neighbour(add: add, neighbour, index: index, sequence: channel.nextSequence()))
  }

  /// Adds, replaces or deletes an owned route; returns the errno rather than throwing, so callers can
  /// tell a collision (EEXIST) from other failures.
  func changeRoute(_ change: RouteChange) throws -> NetlinkReply {
    try channel.request(
      RtnetlinkMessage.route(
        change.operation, change.route, outputIndex: change.outputIndex, sequence: channel.nextSequence()))
  }
}
