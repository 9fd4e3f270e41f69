/// An interface as rtnetlink reports it.
public struct KernelLink: Sendable, Equatable {
  public var index: Int32
  public var name: String
  public var mtu: Int
  public var isUp: Bool

  public init(index: Int32, name: String, mtu: Int, isUp: Bool) {
    self.index = index
    self.name = name
    self.mtu = mtu
    self.isUp = isUp
  }
}

/// An address on an interface, of either family.
public struct KernelAddress: Sendable, Equatable {
  public var index: Int32
  public var address: IPInterface
  /// IFA_PROTO, 0 when unset.
  public var routeProtocol: UInt8
  /// IFA_LABEL: the interface's name (or an alias label such as `eth0:1`).
  public var label: String?

  /// IFA_FLAGS: IFA_F_DADFAILED, IFA_F_TENTATIVE, IFA_F_PERMANENT, …
  public var flags: UInt32

  public init(index: Int32, address: IPInterface, routeProtocol: UInt8, label: String? = nil, flags: UInt32 = 0) {
    self.index = index
    self.address = address
    self.routeProtocol = routeProtocol
    self.label = label
    self.flags = flags
  }

  public init(index: Int32, address: IPv4Interface, routeProtocol: UInt8, label: String? = nil) {
    self.init(index: index, address: .v4(address), routeProtocol: routeProtocol, label: label)
  }

  /// IFA_F_DADFAILED from <linux/if_addr.h>: another node on the link has this address.
  public static let dadFailed: UInt32 = 0x08
  public var isDADFailed: Bool { flags & Self.dadFailed != 0 }
}

/// A route as rtnetlink reports it, of either family.
public struct KernelRoute: Sendable, Equatable, CustomStringConvertible {
  public var destination: IPNetwork
  public var gateway: IPAddress?
  public var outputIndex: Int32?
  public var outputName: String?
  public var routeProtocol: UInt8
  public var table: UInt32
  public var type: UInt8
  /// RTA_PRIORITY, 0 when absent.
  public var metric: UInt32

  /// RT_TABLE_MAIN and RTN_UNICAST, as <linux/rtnetlink.h> numbers them.
  public static let mainTable: UInt32 = 254
  public static let unicast: UInt8 = 1

  public init(
    destination: IPv4Network, gateway: IPv4Address?, outputIndex: Int32?, outputName: String? = nil,
    routeProtocol: UInt8, table: UInt32 = KernelRoute.mainTable, type: UInt8 = KernelRoute.unicast,
    metric: UInt32 = 0
  ) {
    self.init(
      destination: .v4(destination), gateway: gateway.map(IPAddress.v4), outputIndex: outputIndex,
      outputName: outputName, routeProtocol: routeProtocol, table: table, type: type, metric: metric)
  }

  public init(
    destination: IPNetwork, gateway: IPAddress?, outputIndex: Int32?, outputName: String? = nil,
    routeProtocol: UInt8, table: UInt32 = KernelRoute.mainTable, type: UInt8 = KernelRoute.unicast,
    metric: UInt32 = 0
  ) {
    self.metric = metric
    self.destination = destination
    self.gateway = gateway
    self.outputIndex = outputIndex
    self.outputName = outputName
    self.routeProtocol = routeProtocol
    self.table = table
    self.type = type
  }

  public var description: String {
    let via = gateway.map { " via \($0)" } ?? ""
    let device = outputName.map { " dev \($0)" } ?? outputIndex.map { " dev #\($0)" } ?? ""
    let table = self.table == Self.mainTable ? "" : " table \(self.table)"
    return "\(destination)\(via)\(device) proto \(Self.protocolName(routeProtocol))\(table)"
  }

  /// The names `ip route` prints for the kernel's own protocols (RTPROT_KERNEL, _BOOT, _STATIC, _DHCP) and
  /// the routing daemons' (BIRD's, FRR's BGP).
  public static func protocolName(_ value: UInt8) -> String {
    switch value {
    case 2: "kernel"
    case 3: "boot"
    case 4: "static"
    case 16: "dhcp"
    case 12: "bird"
    case 186: "bgp"
    default: "\(value)"
    }
  }

  /// Whether this is the very route `owned` describes (same prefix, protocol, device, gateway and metric).
  public func isSame(as owned: OwnedRoute, outputIndex expected: Int32) -> Bool {
    destination == owned.destination && routeProtocol == owned.routeProtocol && outputIndex == expected
      && gateway == owned.gateway && ownedMetric == owned.metric
  }

  /// The metric as routed-hook plans it: an IPv6 route added with metric 0 reads back as the kernel's 1024
  /// (IP6_RT_PRIO_USER), which is a `normal` claim's 0 here; every other metric as it is.
  public var ownedMetric: UInt32 {
    destination.isV6 && metric == GuestRoutePreference.kernelDefaultMetric6 ? 0 : metric
  }
}

/// A chain or a set of one of our tables, by name.
public struct NftObjectName: Sendable, Equatable {
  public var table: OwnedTable
  public var name: String

  public init(table: OwnedTable, name: String) {
    self.table = table
    self.name = name
  }
}

/// A set of one of our tables as the kernel has it; the key type is nil when it is not one we make.
public struct KernelSet: Sendable, Equatable {
  public var name: NftObjectName
  public var keyType: SetKeyType?

  public init(name: NftObjectName, keyType: SetKeyType?) {
    self.name = name
    self.keyType = keyType
  }
}

/// A rule of one of our tables, as dumped.
public struct KernelRule: Sendable, Equatable {
  public var table: OwnedTable
  public var chain: String
  public var handle: UInt64
  /// The userdata comment; ours start with `rh:`.
  public var tag: String?

  public init(table: OwnedTable, chain: String, handle: UInt64, tag: String?) {
    self.table = table
    self.chain = chain
    self.handle = handle
    self.tag = tag
  }
}

/// A set element asked for by key: its comment when it exists ("" when it has none), nil when it does not.
public struct KernelElement: Sendable, Equatable {
  public var set: OwnedSet
  public var key: SetElementKey
  public var comment: String?

  public init(set: OwnedSet, key: SetElementKey, comment: String?) {
    self.set = set
    self.key = key
    self.comment = comment
  }
}

/// What to read from the kernel before a decision: derived from a plan by the core, read by the effect layer.
public struct KernelQuery: Sendable, Equatable {
  /// Per-interface sysctls, read in one visit to the namespace.
  public var sysctls: [InterfaceSysctl] = []
  /// Interfaces looked up by name (one RTM_GETLINK each), in first-use order.
  public var links: [String] = []
  /// Every IPv4 address (one dump).
  public var addresses = false
  /// Our tables, chains and sets (one dump each), and the rules of each table that holds one of `chains`.
  public var nftables = false
  public var chains: [NftObjectName] = []
  /// Set elements by key (one datagram of GETs).
  public var elements: [(set: OwnedSet, key: SetElementKey)] = []
  /// Main-table routes by exact prefix (one FIB lookup each); their devices are named.
  public var routes: [IPNetwork] = []
  /// Every main-table route of this protocol, at every metric (one dump): asked for when a plan holds a
  /// route at a migration metric, because a FIB lookup shows only the best route of a prefix, and during a
  /// handover ours may sit below BIRD's or two of ours share the prefix.
  public var ownedRoutes: UInt8?
  /// IPv6 addresses by interface (one RTM_GETADDR each: IPv6 answers a single address, so the cost does not
  /// grow with the guests' taps, which all have a link-local address).
  public var addresses6: [(interface: String, address: IPv6Interface)] = []
  /// Proxy neighbour entries by address and device (one RTM_GETNEIGH each).
  public var neighbours: [(address: IPv6Address, device: String)] = []

  public init() {}

  public static func == (a: KernelQuery, b: KernelQuery) -> Bool {
    a.sysctls == b.sysctls && a.links == b.links && a.addresses == b.addresses && a.nftables == b.nftables
      && a.chains == b.chains && a.routes == b.routes && a.ownedRoutes == b.ownedRoutes
      && a.elements.count == b.elements.count
      && zip(a.elements, b.elements).allSatisfy { $0.set == $1.set && $0.key == $1.key }
      && a.addresses6.count == b.addresses6.count
      && zip(a.addresses6, b.addresses6).allSatisfy { $0.interface == $1.interface && $0.address == $1.address }
      && a.neighbours.count == b.neighbours.count
      && zip(a.neighbours, b.neighbours).allSatisfy { $0.address == $1.address && $0.device == $1.device }
  }

  /// Asks for what shows whether `object` is in the kernel as planned.
  mutating func include(_ object: KernelObject) {
    switch object {
    case .link(let name, _): link(name)
    case .address(let name, .v4, _):
      link(name)
      addresses = true
    case .address(let name, .v6(let address), _):
      link(name)
      if !addresses6.contains(where: { $0.interface == name && $0.address == address }) {
        addresses6.append((name, address))
      }
    case .sysctl(let setting): sysctls.append(setting)
    case .table, .set: nftables = true
    case .chain(let chain):
      nftables = true
      chains.append(NftObjectName(table: chain.table, name: chain.name))
    case .element(let set, let key, _): element(set, key)
    case .route(let route):
      link(route.device)
      self.route(route.destination)
      if route.metric != 0 { ownedRoutes = route.routeProtocol }
    case .neighbour(let neighbour):
      link(neighbour.device)
      if !neighbours.contains(where: { $0.address == neighbour.address && $0.device == neighbour.device }) {
        neighbours.append((neighbour.address, neighbour.device))
      }
    }
  }

  mutating func link(_ name: String) {
    if !links.contains(name) { links.append(name) }
  }

  mutating func element(_ set: OwnedSet, _ key: SetElementKey) {
    if !elements.contains(where: { $0.set == set && $0.key == key }) { elements.append((set, key)) }
  }

  mutating func route(_ destination: IPNetwork) {
    if !routes.contains(destination) { routes.append(destination) }
  }
}

/// The kernel as read for one decision: only what a `KernelQuery` asked for. Arrays, not dictionaries: a
/// plan holds a few dozen objects, and each hashed key type costs the hook a run-time conformance scan.
public struct KernelView: Sendable, Equatable {
  /// Each queried sysctl with its value; nil when its file does not exist (no such interface).
  public var sysctls: [KernelSysctl] = []
  /// The queried interfaces that exist.
  public var links: [KernelLink] = []
  public var addresses: [KernelAddress] = []
  public var tables: [OwnedTable] = []
  public var chains: [NftObjectName] = []
  public var sets: [KernelSet] = []
  /// The rules of our tables that were read, in kernel order.
  public var rules: [KernelRule] = []
  /// Each queried element.
  public var elements: [KernelElement] = []
  /// Each queried prefix with the main-table route for exactly it, if any (device named).
  public var routes: [KernelRouteLookup] = []
  /// Every main-table route of the queried protocol, when `KernelQuery.ownedRoutes` asked for them.
  public var ownedRoutes: [KernelRoute]?
  /// Each queried proxy neighbour entry that exists.
  public var neighbours: [KernelNeighbour] = []

  public init() {}

  public func link(named name: String) -> KernelLink? { links.first { $0.name == name } }

  public func sysctl(_ setting: InterfaceSysctl) -> Int? {
    sysctls.first { $0.setting.path == setting.path }?.value
  }

  /// The address on the named interface, if both exist.
  public func address(_ address: IPInterface, on name: String) -> KernelAddress? {
    guard let link = link(named: name) else { return nil }
    return addresses.first { $0.index == link.index && $0.address == address }
  }

  /// Whether the kernel has a set of this table and name (of whatever key type).
  public func hasSet(_ set: OwnedSet) -> Bool {
    sets.contains { $0.name.table == set.table && $0.name.name == set.name }
  }

  public func hasChain(_ chain: OwnedChain) -> Bool {
    chains.contains(NftObjectName(table: chain.table, name: chain.name))
  }

  /// Our tagged rules of a chain, in kernel order.
  public func ourRules(in chain: OwnedChain) -> [KernelRule] {
    guard tables.contains(chain.table) else { return [] }
    return rules.filter {
      $0.table == chain.table && $0.chain == chain.name && $0.tag.map(Rule.isTag) == true
    }
  }

  /// The comment of an element ("" without one), nil when it does not exist.
  public func comment(_ set: OwnedSet, _ key: SetElementKey) -> String? {
    elements.first { $0.set == set && $0.key == key }?.comment
  }

  /// Whether the element exists and carries `comment` as the kernel keeps it (cut at 127 bytes: records of
  /// earlier versions hold whole long names; see `ElementComment`).
  public func holdsElement(_ set: OwnedSet, _ key: SetElementKey, comment: String) -> Bool {
    self.comment(set, key) == ElementComment.asStored(comment)
  }

  /// The main-table route for exactly `destination`, if there is one.
  public func route(exactly destination: IPNetwork) -> KernelRoute? {
    routes.first { $0.destination == destination }?.route
  }

  /// The routes of protocol `routeProtocol` for exactly `destination`: all of them, at every metric, when
  /// they were dumped; else the best route, when it has that protocol.
  public func routes(exactly destination: IPNetwork, routeProtocol: UInt8) -> [KernelRoute] {
    guard let ownedRoutes else {
      return route(exactly: destination).map { $0.routeProtocol == routeProtocol ? [$0] : [] } ?? []
    }
    return ownedRoutes.filter {
      $0.destination == destination && $0.routeProtocol == routeProtocol && $0.table == KernelRoute.mainTable
    }
  }

  /// Whether `route` is in the kernel exactly as planned (metric included).
  public func has(_ route: OwnedRoute, outputIndex: Int32) -> Bool {
    routes(exactly: route.destination, routeProtocol: route.routeProtocol).contains {
      $0.isSame(as: route, outputIndex: outputIndex)
    }
  }

  /// The proxy entry for `address` on the named device, if both exist.
  public func neighbour(_ address: IPv6Address, on name: String) -> KernelNeighbour? {
    guard let link = link(named: name) else { return nil }
    return neighbours.first { $0.index == link.index && $0.address == address }
  }
}

/// An IPv6 proxy neighbour entry (NTF_PROXY) as rtnetlink reports it.
public struct KernelNeighbour: Sendable, Equatable {
  public var address: IPv6Address
  public var index: Int32
  /// NDA_PROTOCOL, 0 when unset.
  public var routeProtocol: UInt8
  /// The device's name, when it was looked up (dumps for `status`).
  public var deviceName: String?

  public init(address: IPv6Address, index: Int32, routeProtocol: UInt8, deviceName: String? = nil) {
    self.address = address
    self.index = index
    self.routeProtocol = routeProtocol
    self.deviceName = deviceName
  }
}

/// One sysctl as read.
public struct KernelSysctl: Sendable, Equatable {
  public var setting: InterfaceSysctl
  public var value: Int?

  public init(setting: InterfaceSysctl, value: Int?) {
    self.setting = setting
    self.value = value
  }
}

/// One route lookup by exact prefix.
public struct KernelRouteLookup: Sendable, Equatable {
  public var destination: IPNetwork
  public var route: KernelRoute?

  public init(destination: IPNetwork, route: KernelRoute?) {
    self.destination = destination
    self.route = route
  }
}
