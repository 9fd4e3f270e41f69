import CNetlink
import Glibc
import RoutedCore

/// The interpreter that makes a `RoutedCore.Plan` real through netlink: rtnetlink for links, addresses and
/// routes, nfnetlink (libnftnl) for our nftables tables, /proc/sys for sysctls. No child processes.
public struct KernelApplier {
  let namespace: NetworkNamespace?
  let rtnetlink: Rtnetlink
  let nftables: Nftables
  /// The sockets opened here (none over recording connections), for `closeSocketsAtExit`.
  private let route: MNLConnection?
  private let filter: DeferredConnection?

  /// Opens an rtnetlink socket, in the given network namespace (a name under /run/netns or a path) or the
  /// current one; nfnetlink opens there on first use.
  public init(networkNamespace: String? = nil) throws {
    let namespace = networkNamespace.map(NetworkNamespace.init)
    func inNamespace<R>(_ body: () throws -> R) throws -> R {
      try namespace.map { try $0.run(body) } ?? body()
    }
    let route = try inNamespace { try MNLConnection(bus: NETLINK_ROUTE, name: "rtnetlink") }
    let filter = DeferredConnection {
      try inNamespace { try MNLConnection(bus: NETLINK_NETFILTER, name: "nfnetlink") }
    }
    self.namespace = namespace
    self.rtnetlink = Rtnetlink(channel: NetlinkChannel(connection: route))
    self.nftables = Nftables(channel: NetlinkChannel(connection: filter))
    self.route = route
    self.filter = filter
  }

  /// An applier over given connections (recording ones in tests).
  init(namespace: NetworkNamespace?, rtnetlink: any NetlinkConnection, nfnetlink: any NetlinkConnection) {
    self.namespace = namespace
    self.rtnetlink = Rtnetlink(channel: NetlinkChannel(connection: rtnetlink))
    self.nftables = Nftables(channel: NetlinkChannel(connection: nfnetlink))
    route = nil
    filter = nil
  }

  /// Leaves the sockets open for the process's exit to close, for a process that exits right after this
  /// call. Closing an nfnetlink socket waits for nf_tables to free what a deleting transaction removed (an
  /// RCU grace period, 10–17 ms here); left to exit, that wait overlaps everything the process does after
  /// its commit: routes, records, the audit line and the process's own teardown.
  public func closeSocketsAtExit() {
    route?.closesOnDeinit = false
    filter?.closesOnDeinit = false
  }

  /// Runs file-system effects (/proc/sys) in the applier's namespace.
  func inNamespace<R>(_ body: () throws -> R) throws -> R {
    if let namespace { return try namespace.run(body) }
    return try body()
  }

  /// IPv4 addresses per interface: every interface that has one, plus each of `interfaces` that exists
  /// (with an empty list when it has none). One address dump and a lookup per named interface, so the
  /// cost does not grow with the guests' taps, which have no IPv4 address.
  public func readHostFacts(interfaces: [String]) throws -> HostFacts {
    rtnetlink.resetCache()
    var facts = HostFacts()
    // if_nametoindex is one ioctl on the namespace's own table: cheaper than a netlink round trip each.
    let existing = try inNamespace { interfaces.filter { if_nametoindex($0) != 0 } }
    for name in existing { facts.addresses[name] = [] }
    for address in try rtnetlink.addresses() {
      // IFA_LABEL names the interface, except for alias labels (`eth0:1`), which need a lookup.
      let label = address.label.flatMap { $0.contains(":") ? nil : $0 }
      guard let name = try label ?? rtnetlink.linkName(index: address.index) else { continue }
      facts.addresses[name, default: []].append(address.address)
    }
    return facts
  }

  /// The subset of `objects` that exists in the kernel now (for `status`).
  public func present(_ objects: [KernelObject]) throws -> Set<KernelObject> {
    rtnetlink.resetCache()
    let state = KernelState(rtnetlink: rtnetlink, nftables: nftables)
    let elements = objects.compactMap(\.elementQuery)
    let comments = try nftables.comments(of: elements.map { ($0.set, $0.key) })
    var present = Set<KernelObject>()
    for (query, comment) in zip(elements, comments) where comment == query.comment {
      present.insert(.element(query.set, query.key, comment: query.comment))
    }
    for object in objects {
      switch object {
      case .element: continue
      case .link(let name, let mtu):
        if let link = try rtnetlink.link(named: name), link.mtu == mtu, link.isUp { present.insert(object) }
      case .address(let name, let address, _):
        if try state.hasAddress(address, on: name) { present.insert(object) }
      case .sysctl(let setting):
        if try inNamespace({ try Sysctl.read(setting) }) == setting.value { present.insert(object) }
      case .table(let table):
        if try state.tables().contains(table) { present.insert(object) }
      case .set(let set):
        if try state.hasSet(set) { present.insert(object) }
      case .chain(let chain):
        if try state.chains().contains(NftChainName(table: chain.table, name: chain.name)),
          try state.ourRules(in: chain).compactMap(\.tag) == chain.rules.map(\.tag)
        {
          present.insert(object)
        }
      case .route(let route):
        if let link = try rtnetlink.link(named: route.device),
          let existing = try rtnetlink.route(exactly: route.destination),
          existing.isSame(as: route, outputIndex: link.index)
        {
          present.insert(object)
        }
      }
    }
    return present
  }

  /// Every per-guest object we own that exists now: set elements whose comment is not "host", and routes
  /// with `routeProtocol` and prefix /32.
  public func ownedGuestObjects(routeProtocol: UInt8) throws -> [KernelObject] {
    rtnetlink.resetCache()
    var objects: [KernelObject] = []
    let tables = try nftables.tables()
    let sets = try nftables.sets().sorted {
      ($0.name.table.rawValue, $0.name.name) < ($1.name.table.rawValue, $1.name.name)
    }
    for (name, keyType) in sets where tables.contains(name.table) {
      guard let keyType else { continue }
      let set = OwnedSet(table: name.table, name: name.name, keyType: keyType)
      for element in try nftables.elements(of: set) where element.comment != Self.hostComment {
        objects.append(.element(set, element.key, comment: element.comment ?? ""))
      }
    }
    for route in try rtnetlink.routes(routeProtocol: routeProtocol)
    where route.destination.prefixLength == 32 && route.type == UInt8(RTN_UNICAST) {
      objects.append(
        .route(
          OwnedRoute(
            destination: route.destination, gateway: route.gateway, device: route.outputName ?? "",
            routeProtocol: routeProtocol)))
    }
    return objects
  }

  /// Guest routes a routing daemon installed (BIRD's, FRR's): learned from peers, never ours to change.
  public func learnedRoutes() throws -> [String] {
    rtnetlink.resetCache()
    return try LearnedRoutes.protocols.flatMap { try rtnetlink.routes(routeProtocol: $0) }
      .filter { LearnedRoutes.isLearned(routeProtocol: $0.routeProtocol, destination: $0.destination) }
      .sorted { $0.destination.address < $1.destination.address }
      .map(\.description)
  }

  /// The comment of host-wide set elements (the host's own addresses), which are never per guest.
  static let hostComment = "host"
}

/// An element object taken apart, for batched presence queries.
struct ElementQuery {
  var set: OwnedSet
  var key: SetElementKey
  var comment: String

  var object: KernelObject { .element(set, key, comment: comment) }
}

extension KernelObject {
  var elementQuery: ElementQuery? {
    if case .element(let set, let key, let comment) = self {
      return ElementQuery(set: set, key: key, comment: comment)
    }
    return nil
  }
}
