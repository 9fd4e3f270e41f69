import CNetlink
import Glibc
import RoutedCore

/// An interface as rtnetlink reports it.
struct KernelLink: Equatable {
  var index: Int32
  var name: String
  var mtu: Int
  var isUp: Bool
}

/// An IPv4 address on an interface.
struct KernelAddress: Equatable {
  var index: Int32
  var address: IPv4Interface
  /// IFA_PROTO, 0 when unset.
  var routeProtocol: UInt8
  /// IFA_LABEL: the interface's name (or an alias label such as `eth0:1`).
  var label: String? = nil
}

/// An IPv4 route as rtnetlink reports it.
struct KernelRoute: Equatable, CustomStringConvertible {
  var destination: IPv4Network
  var gateway: IPv4Address?
  var outputIndex: Int32?
  var outputName: String?
  var routeProtocol: UInt8
  var table: UInt32
  var type: UInt8

  var description: String {
    let via = gateway.map { " via \($0)" } ?? ""
    let device = outputName.map { " dev \($0)" } ?? outputIndex.map { " dev #\($0)" } ?? ""
    let table = self.table == UInt32(RT_TABLE_MAIN.rawValue) ? "" : " table \(self.table)"
    return "\(destination)\(via)\(device) proto \(Self.protocolName(routeProtocol))\(table)"
  }

  /// The names `ip route` prints for the kernel's own protocols.
  static func protocolName(_ value: UInt8) -> String {
    switch Int32(value) {
    case RTPROT_KERNEL: "kernel"
    case RTPROT_BOOT: "boot"
    case RTPROT_STATIC: "static"
    case RTPROT_DHCP: "dhcp"
    case 12: "bird"
    case 186: "bgp"
    default: "\(value)"
    }
  }

  /// Whether this is the very route `owned` describes (same prefix, protocol, device and gateway).
  func isSame(as owned: OwnedRoute, outputIndex expected: Int32) -> Bool {
    destination == owned.destination && routeProtocol == owned.routeProtocol && outputIndex == expected
      && gateway == owned.gateway
  }
}

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
    if reply.error != 0 { throw KernelError.system(what(), reply.error, detail: reply.detail) }
  }

  /// The interface named `name`, or nil when there is none.
  func link(named name: String) throws -> KernelLink? {
    if let link = linksByName.first(where: { $0.name == name }) { return link }
    let reply = try channel.request(RtnetlinkMessage.getLink(name: name, sequence: channel.nextSequence()))
    if reply.error == ENODEV { return nil }
    try check(reply, "link \(name)")
    guard let link = reply.messages.lazy.compactMap(Self.parseLink).first else { return nil }
    linksByName.append(link)
    return link
  }

  /// The interface named `name`; throws when it does not exist.
  func requireLink(_ name: String) throws -> KernelLink {
    guard let link = try link(named: name) else {
      throw KernelError(message: "link \(name): no such interface", code: ENODEV)
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
      name = reply.messages.lazy.compactMap(Self.parseLink).first?.name
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
    return reply.messages.compactMap { message in
      guard Int(message.type) == RTM_NEWADDR, message.payload.count >= 8 else { return nil }
      let payload = message.payload
      let start = payload.startIndex
      guard payload[start] == UInt8(AF_INET) else { return nil }
      let prefixLength = Int(payload[start + 1])
      let index = Int32(bitPattern: payload.loadHost(UInt32.self, at: start + 4))
      let attributes = NetlinkAttributes(payload[(start + 8)...])
      guard let local = attributes[Int32(IFA_LOCAL)].flatMap(IPv4Address.init(networkBytes:)) else {
        return nil
      }
      return KernelAddress(
        index: index, address: IPv4Interface(address: local, prefixLength: prefixLength),
        routeProtocol: attributes.u8(Int32(IFA_PROTO)) ?? 0, label: attributes.string(Int32(IFA_LABEL)))
    }
  }

  /// Adds (EXCL) or deletes an address.
  func changeAddress(add: Bool, link: KernelLink, _ address: IPv4Interface, routeProtocol: UInt8) throws {
    let message = RtnetlinkMessage.address(
      add: add, index: link.index, address, routeProtocol: routeProtocol, sequence: channel.nextSequence())
    try check(try channel.request(message), "address \(address) dev \(link.name): \(add ? "add" : "delete")")
  }

  /// The main-table route whose prefix is exactly `destination`, found by a FIB lookup of its address.
  /// Its `outputName` stays nil: callers compare by index, and naming it would take a dump of every link
  /// (a tap per guest) on each call.
  func route(exactly destination: IPv4Network) throws -> KernelRoute? {
    let message = RtnetlinkMessage.getRoute(matching: destination.address, sequence: channel.nextSequence())
    let reply = try channel.request(message)
    // No route at all: the lookup itself fails (ENETUNREACH, EHOSTUNREACH, …), which means absent.
    guard reply.error == 0 else { return nil }
    guard let route = reply.messages.lazy.compactMap(Self.parseRoute).first,
      route.destination == destination, route.table == UInt32(RT_TABLE_MAIN.rawValue)
    else { return nil }
    return route
  }

  /// Every main-table IPv4 route with protocol `routeProtocol`.
  func routes(routeProtocol: UInt8) throws -> [KernelRoute] {
    let reply = try channel.request(RtnetlinkMessage.getRoutes(sequence: channel.nextSequence()))
    try check(reply, "dump routes")
    return try reply.messages.compactMap(Self.parseRoute).filter {
      $0.routeProtocol == routeProtocol && $0.table == UInt32(RT_TABLE_MAIN.rawValue)
    }.map { route in
      var route = route
      route.outputName = try route.outputIndex.flatMap(linkName(index:))
      return route
    }
  }

  /// Adds, replaces or deletes an owned route; returns the errno rather than throwing, so callers can
  /// tell a collision (EEXIST) from other failures.
  func changeRoute(_ operation: RtnetlinkMessage.RouteOperation, _ route: OwnedRoute) throws -> NetlinkReply {
    let link = try requireLink(route.device)
    let message = RtnetlinkMessage.route(
      operation, route, outputIndex: link.index, sequence: channel.nextSequence())
    return try channel.request(message)
  }

  private static func parseLink(_ message: NetlinkMessage) -> KernelLink? {
    guard Int(message.type) == RTM_NEWLINK, message.payload.count >= 16 else { return nil }
    let payload = message.payload
    let start = payload.startIndex
    let index = Int32(bitPattern: payload.loadHost(UInt32.self, at: start + 4))
    let flags = payload.loadHost(UInt32.self, at: start + 8)
    let attributes = NetlinkAttributes(payload[(start + 16)...])
    guard let name = attributes.string(Int32(IFLA_IFNAME)) else { return nil }
    return KernelLink(
      index: index, name: name, mtu: Int(attributes.u32(Int32(IFLA_MTU)) ?? 0),
      isUp: flags & UInt32(IFF_UP) != 0)
  }

  private static func parseRoute(_ message: NetlinkMessage) -> KernelRoute? {
    guard Int(message.type) == RTM_NEWROUTE, message.payload.count >= 12 else { return nil }
    let payload = message.payload
    let start = payload.startIndex
    guard payload[start] == UInt8(AF_INET) else { return nil }
    let attributes = NetlinkAttributes(payload[(start + 12)...])
    let destination = attributes[RTA_DST.rawValue].flatMap(IPv4Address.init(networkBytes:)) ?? IPv4Address(0)
    return KernelRoute(
      destination: IPv4Network(containing: destination, prefixLength: Int(payload[start + 1])),
      gateway: attributes[RTA_GATEWAY.rawValue].flatMap(IPv4Address.init(networkBytes:)),
      outputIndex: attributes.u32(RTA_OIF.rawValue).map { Int32(bitPattern: $0) },
      outputName: nil,
      routeProtocol: payload[start + 5],
      table: attributes.u32(RTA_TABLE.rawValue) ?? UInt32(payload[start + 4]),
      type: payload[start + 7])
  }
}

extension IPv4Address {
  /// Four bytes in network order, as in RTA_DST or IFA_LOCAL.
  init?(networkBytes bytes: some Collection<UInt8>) {
    guard bytes.count == 4 else { return nil }
    self.init(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
  }
}
