import CNetlink
import Glibc
import RoutedCore

/// Read-only: links, addresses and main-table routes as a `HostSnapshot`, through rtnetlink alone, so the
/// hook's `prepare` can run doctor's start checks without a child process.
extension KernelApplier {
  /// With `routesTo`, only the routes the kernel would use for those addresses (FIB lookups, no dump).
  /// With `bridges`, only those bridges and their ports, not every link: a host has a tap per guest.
  public func readNetworkSnapshot(routesTo: [IPv4Address]? = nil, bridges: [String]? = nil) throws
    -> HostSnapshot
  {
    let channel = rtnetlink.channel
    var raw: [SnapshotLink] = []
    if let bridges {
      for name in bridges {
        let reply = try channel.request(
          RtnetlinkMessage.getLink(name: name, sequence: channel.nextSequence()))
        guard reply.error == 0, let bridge = reply.messages.lazy.compactMap(SnapshotLink.init).first else {
          continue
        }
        raw.append(bridge)
        let ports = try channel.request(
          RtnetlinkMessage.getPorts(ofMaster: bridge.index, sequence: channel.nextSequence()))
        if ports.error != 0 { throw KernelError.system("dump ports of \(name)", ports.error) }
        raw += ports.messages.compactMap(SnapshotLink.init).filter { $0.master == bridge.index }
      }
    } else {
      let linkReply = try channel.request(RtnetlinkMessage.getLinks(sequence: channel.nextSequence()))
      if linkReply.error != 0 { throw KernelError.system("dump links", linkReply.error) }
      raw = linkReply.messages.compactMap(SnapshotLink.init)
    }
    var names = LinkNames(raw.map { ($0.index, $0.name) })
    let addresses = try rtnetlink.addresses()
    let links = raw.map { link in
      HostSnapshot.Link(
        name: link.name, index: Int(link.index), mtu: link.mtu, flags: link.flags,
        master: link.master.flatMap { names[$0] }, kind: link.kind,
        addresses: addresses.filter { $0.index == link.index }.map(\.address))
    }
    let routes: [HostSnapshot.Route]
    if let addresses = routesTo {
      // The hook's path: one FIB lookup per address, so a start costs the same with 10 or 4,000 routes.
      routes = try addresses.flatMap { address -> [HostSnapshot.Route] in
        let reply = try channel.request(
          RtnetlinkMessage.getRoute(matching: address, sequence: channel.nextSequence()))
        guard reply.error == 0 else { return [] }
        // Route devices outside the bridges read are named one lookup each.
        for index in reply.messages.flatMap(SnapshotRoute.deviceIndexes) where names[index] == nil {
          if let name = try rtnetlink.linkName(index: index) { names.add(index, name) }
        }
        return reply.messages.compactMap { SnapshotRoute.parse($0, names: names) }
      }
    } else {
      let routeReply = try channel.request(RtnetlinkMessage.getRoutes(sequence: channel.nextSequence()))
      if routeReply.error != 0 { throw KernelError.system("dump routes", routeReply.error) }
      routes = routeReply.messages.compactMap { SnapshotRoute.parse($0, names: names) }
    }
    return HostSnapshot(links: links, routes: routes)
  }
}

/// The link fields doctor needs, from one RTM_NEWLINK.
struct SnapshotLink {
  var index: Int32
  var name: String
  var mtu: Int
  var flags: [String]
  var master: Int32?
  var kind: String?

  init?(_ message: NetlinkMessage) {
    guard Int(message.type) == RTM_NEWLINK, message.payload.count >= 16 else { return nil }
    let payload = message.payload
    let start = payload.startIndex
    let attributes = NetlinkAttributes(payload[(start + 16)...])
    guard let name = attributes.string(Int32(IFLA_IFNAME)) else { return nil }
    let bits = payload.loadHost(UInt32.self, at: start + 8)
    index = Int32(bitPattern: payload.loadHost(UInt32.self, at: start + 4))
    self.name = name
    mtu = Int(attributes.u32(Int32(IFLA_MTU)) ?? 0)
    flags = [(IFF_UP, "UP"), (IFF_NOARP, "NOARP"), (IFF_LOOPBACK, "LOOPBACK")]
      .filter { bits & UInt32($0.0) != 0 }.map(\.1)
    master = attributes.u32(Int32(IFLA_MASTER)).map { Int32(bitPattern: $0) }
    kind = attributes[Int32(IFLA_LINKINFO)].flatMap { NetlinkAttributes($0).string(Int32(IFLA_INFO_KIND)) }
  }
}

/// Main-table unicast routes, with every hop of a multipath route.
enum SnapshotRoute {
  /// The output interfaces a route message names (RTA_OIF and each multipath hop).
  static func deviceIndexes(_ message: NetlinkMessage) -> [Int32] {
    guard Int(message.type) == RTM_NEWROUTE, message.payload.count >= 12 else { return [] }
    let attributes = NetlinkAttributes(message.payload[(message.payload.startIndex + 12)...])
    var indexes = attributes.u32(RTA_OIF.rawValue).map { [Int32(bitPattern: $0)] } ?? []
    if let hops = attributes[RTA_MULTIPATH.rawValue] {
      var offset = hops.startIndex
      while offset + 8 <= hops.endIndex {
        let length = Int(hops.loadHost(UInt16.self, at: offset))
        guard length >= 8, offset + length <= hops.endIndex else { break }
        indexes.append(Int32(bitPattern: hops.loadHost(UInt32.self, at: offset + 4)))
        offset += (length + 3) & ~3
      }
    }
    return indexes
  }

  static func parse(_ message: NetlinkMessage, names: LinkNames) -> HostSnapshot.Route? {
    guard Int(message.type) == RTM_NEWROUTE, message.payload.count >= 12 else { return nil }
    let payload = message.payload
    let start = payload.startIndex
    guard payload[start] == UInt8(AF_INET), payload[start + 7] == UInt8(RTN_UNICAST) else { return nil }
    let attributes = NetlinkAttributes(payload[(start + 12)...])
    let table = attributes.u32(RTA_TABLE.rawValue) ?? UInt32(payload[start + 4])
    guard table == UInt32(RT_TABLE_MAIN.rawValue) else { return nil }
    let destination = attributes[RTA_DST.rawValue].flatMap(IPv4Address.init(networkBytes:)) ?? IPv4Address(0)
    var gateway = attributes[RTA_GATEWAY.rawValue].flatMap(IPv4Address.init(networkBytes:))
    var devices = attributes.u32(RTA_OIF.rawValue).flatMap { names[Int32(bitPattern: $0)] }.map { [$0] } ?? []
    if let hops = attributes[RTA_MULTIPATH.rawValue] {
      // rtnexthop: length (u16), flags (u8), hops (u8), ifindex (i32), then the hop's attributes.
      var offset = hops.startIndex
      while offset + 8 <= hops.endIndex {
        let length = Int(hops.loadHost(UInt16.self, at: offset))
        guard length >= 8, offset + length <= hops.endIndex else { break }
        if let name = names[Int32(bitPattern: hops.loadHost(UInt32.self, at: offset + 4))] {
          devices.append(name)
        }
        if gateway == nil {
          gateway = NetlinkAttributes(hops[(offset + 8)..<(offset + length)])[RTA_GATEWAY.rawValue]
            .flatMap(IPv4Address.init(networkBytes:))
        }
        offset += (length + 3) & ~3
      }
    }
    return HostSnapshot.Route(
      destination: IPv4Network(containing: destination, prefixLength: Int(payload[start + 1])),
      gateway: gateway,
      devices: devices, routeProtocol: HostSnapshot.Route.protocolName(Int(payload[start + 5])),
      metric: attributes.u32(RTA_PRIORITY.rawValue).map { Int($0) })
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
