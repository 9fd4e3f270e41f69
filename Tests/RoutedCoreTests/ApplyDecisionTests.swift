@testable import RoutedCore
import Testing

/// The apply decision as a table: a plan and a kernel view in, ordered steps (with their undos) and a report,
/// or a refusal, out. No kernel: the effect layer only reads the view and performs the steps.
@Suite struct ApplyDecisionTests {
  static let proto: UInt8 = 151
  static let guests = OwnedSet(table: .filter, name: "guests_guests", keyType: .address)
  static let egress = OwnedSet(table: .filter, name: "egress", keyType: .addressAndInterface)
  static let bridge = KernelLink(index: 3, name: "br-ex", mtu: 9000, isUp: true)
  static let uplink = KernelLink(index: 4, name: "osa10", mtu: 1500, isUp: true)
  static let forward = OwnedChain(
    table: .filter, name: "forward", kind: .filter, hook: .forward, priority: 0,
    rules: [.acceptEgress(bridge: "br-ex", set: "egress"), .dropFromBridge(bridge: "br-ex")])
  static let gateway = IPv4Interface("10.136.11.254/24")!
  static let forwarding = InterfaceSysctl(interface: "osa10", key: .forwarding, value: 1)

  static func guest(_ name: String, _ address: String) -> [KernelObject] {
    let address = IPv4Address(address)!
    return [
      .element(guests, SetElementKey(address: address), comment: name),
      .element(egress, SetElementKey(address: address, interface: "osa10"), comment: name),
      .route(OwnedRoute(destination: .host(address), device: "br-ex", routeProtocol: proto)),
    ]
  }

  static let baseline: [KernelObject] = [
    .link(interface: "br-ex", mtu: 9000),
    .address(interface: "br-ex", .v4(gateway), routeProtocol: proto),
    .sysctl(forwarding),
    .table(.filter), .set(guests), .set(egress), .chain(forward),
  ]

  /// A host where the whole baseline is in place.
  static var readyView: KernelView {
    var view = KernelView()
    view.links = [bridge, uplink]
    view.addresses = [KernelAddress(index: 3, address: gateway, routeProtocol: proto)]
    view.sysctls = [KernelSysctl(setting: forwarding, value: 1)]
    view.tables = [.filter]
    view.sets = [
      KernelSet(name: NftObjectName(table: .filter, name: "guests_guests"), keyType: .address),
      KernelSet(name: NftObjectName(table: .filter, name: "egress"), keyType: .addressAndInterface),
    ]
    view.chains = [NftObjectName(table: .filter, name: "forward")]
    view.rules = [
      KernelRule(table: .filter, chain: "forward", handle: 7, tag: "rh:egress:br-ex:egress"),
      KernelRule(table: .filter, chain: "forward", handle: 8, tag: "rh:from:br-ex"),
    ]
    return view
  }

  /// `view` with the guest's elements and /32 route present, as `name` left them.
  static func withGuest(_ view: KernelView, _ name: String, _ address: String) -> KernelView {
    var view = view
    for object in guest(name, address) {
      switch object {
      case .element(let set, let key, let comment):
        view.elements.append(KernelElement(set: set, key: key, comment: comment))
      case .route(let route):
        view.routes.append(
          KernelRouteLookup(
            destination: route.destination,
            route: KernelRoute(
              destination: route.destination, gateway: nil, outputIndex: 3, outputName: "br-ex",
              routeProtocol: proto)))
      default: continue
      }
    }
    return view
  }

  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var plan: Plan
    var view: KernelView
    /// Each step as `do` or `do / undo`.
    var steps: [String]
    var added: Int
    var removed: Int
    var unchanged: Int
    var testDescription: String { name }
  }

  static let start = Plan(
    baseline: baseline, guestChanges: guest("web01", "10.136.11.5").map(KernelChange.add))
  static let stop = Plan(guestChanges: guest("web01", "10.136.11.5").map(KernelChange.remove))

  static let cases: [Case] = [
    Case(
      name: "a first start on a bare host makes everything, in the order host, nft, routes",
      plan: start,
      view: {
        var view = KernelView()
        view.links = [KernelLink(index: 3, name: "br-ex", mtu: 1500, isUp: false), uplink]
        view.sysctls = [KernelSysctl(setting: forwarding, value: 0)]
        return view
      }(),
      steps: [
        "link br-ex mtu 9000 up", "address add 10.136.11.254/24 dev br-ex proto 151",
        "sysctl net.ipv4.conf.osa10.forwarding = 1",
        "nft [+table inet routed_hook, +set inet routed_hook guests_guests, +set inet routed_hook egress, "
          + "+chain forward, +rule rh:egress:br-ex:egress, +rule rh:from:br-ex, "
          + "+element guests_guests 10.136.11.5 (web01), +element egress 10.136.11.5 . \"osa10\" (web01)]"
          + " / nft [-element guests_guests 10.136.11.5, -element egress 10.136.11.5 . \"osa10\"]",
        "route add 10.136.11.5/32 dev br-ex proto 151 scope link #3"
          + " / route delete 10.136.11.5/32 dev br-ex proto 151 scope link #3",
      ],
      added: 10, removed: 0, unchanged: 0),
    Case(
      name: "a start whose guest and baseline are all there changes nothing",
      plan: start, view: withGuest(readyView, "web01", "10.136.11.5"),
      steps: [], added: 0, removed: 0, unchanged: 10),
    Case(
      name: "a stop deletes the guest's elements and route; a failing route brings the elements back",
      plan: stop, view: withGuest(KernelView(links: [bridge]), "web01", "10.136.11.5"),
      steps: [
        "nft [-element guests_guests 10.136.11.5, -element egress 10.136.11.5 . \"osa10\"]"
          + " / nft [+element guests_guests 10.136.11.5 (web01), +element egress 10.136.11.5 . \"osa10\" (web01)]",
        "route delete 10.136.11.5/32 dev br-ex proto 151 scope link #3"
          + " / route add 10.136.11.5/32 dev br-ex proto 151 scope link #3",
      ],
      added: 0, removed: 3, unchanged: 0),
    Case(
      name: "a stop leaves an element that another domain's comment now owns",
      plan: stop,
      view: {
        var view = withGuest(KernelView(links: [bridge]), "web01", "10.136.11.5")
        view.elements[0].comment = "web09"
        return view
      }(),
      steps: [
        "nft [-element egress 10.136.11.5 . \"osa10\"] / nft [+element egress 10.136.11.5 . \"osa10\" (web01)]",
        "route delete 10.136.11.5/32 dev br-ex proto 151 scope link #3"
          + " / route add 10.136.11.5/32 dev br-ex proto 151 scope link #3",
      ],
      added: 0, removed: 2, unchanged: 1),
    Case(
      name: "a stop of what is gone, device included, changes nothing",
      plan: stop, view: KernelView(), steps: [], added: 0, removed: 0, unchanged: 3),
    Case(
      name: "a key that changes owner is deleted, then added, in one transaction",
      plan: Plan(
        guestChanges: guest("web01-renamed", "10.136.11.5").map(KernelChange.add)
          + guest("web01", "10.136.11.5").map(KernelChange.remove)),
      view: withGuest(KernelView(links: [bridge]), "web01", "10.136.11.5"),
      steps: [
        "nft [-element guests_guests 10.136.11.5, -element egress 10.136.11.5 . \"osa10\", "
          + "+element guests_guests 10.136.11.5 (web01-renamed), +element egress 10.136.11.5 . \"osa10\" (web01-renamed)]"
          + " / nft [+element guests_guests 10.136.11.5 (web01), +element egress 10.136.11.5 . \"osa10\" (web01), "
          + "-element guests_guests 10.136.11.5, -element egress 10.136.11.5 . \"osa10\"]"
      ],
      added: 2, removed: 2, unchanged: 2),
    Case(
      name: "rules missing at the end of a chain are appended",
      plan: Plan(baseline: [.chain(forward)]),
      view: {
        var view = readyView
        view.rules.removeLast()
        return view
      }(),
      steps: ["nft [+rule rh:from:br-ex]"], added: 1, removed: 0, unchanged: 0),
    Case(
      name: "rules out of order are rebuilt in the same transaction",
      plan: Plan(baseline: [.chain(forward)]),
      view: {
        var view = readyView
        view.rules.reverse()
        return view
      }(),
      steps: [
        "nft [-rule forward #8, -rule forward #7, +rule rh:egress:br-ex:egress, +rule rh:from:br-ex]"
      ],
      added: 1, removed: 0, unchanged: 0),
    Case(
      name: "our own stale route for the prefix is replaced, and put back if a later step fails",
      plan: Plan(guestChanges: [guest("web01", "10.136.11.5")[2]].map(KernelChange.add)),
      view: {
        var view = KernelView(links: [bridge])
        let host = IPNetwork.host(.v4(IPv4Address("10.136.11.5")!))
        view.routes = [
          KernelRouteLookup(
            destination: host,
            route: KernelRoute(
              destination: host, gateway: nil, outputIndex: 4, outputName: "osa10", routeProtocol: proto))
        ]
        return view
      }(),
      steps: [
        "route replace 10.136.11.5/32 dev br-ex proto 151 scope link #3"
          + " / route replace 10.136.11.5/32 dev osa10 proto 151 scope link #4"
      ],
      added: 1, removed: 0, unchanged: 0),
  ]

  @Test(arguments: cases)
  func decides(_ row: Case) throws {
    let changes = try ApplyDecision.decide(row.plan, view: row.view)
    #expect(changes.steps.map(Self.describe) == row.steps)
    #expect(changes.report.added.count == row.added)
    #expect(changes.report.removed.count == row.removed)
    #expect(changes.report.unchanged == row.unchanged)
  }

  @Test(arguments: [
    ("no bridge", KernelView(), Plan(baseline: [baseline[0]]), "link br-ex: no such interface"),
    (
      "no sysctl file", KernelView(sysctls: [KernelSysctl(setting: forwarding, value: nil)]),
      Plan(baseline: [baseline[2]]), "net.ipv4.conf.osa10.forwarding = 1: no such interface osa10"
    ),
    (
      "a route's device is missing", KernelView(),
      Plan(guestChanges: [guest("web01", "10.136.11.5")[2]].map(KernelChange.add)),
      "route 10.136.11.5/32 dev br-ex proto 151 scope link: no such interface br-ex"
    ),
    (
      "someone else's route holds the prefix",
      KernelView(
        links: [bridge],
        routes: [
          KernelRouteLookup(
            destination: IPNetwork("10.136.11.5/32")!,
            route: KernelRoute(
              destination: IPv4Network("10.136.11.5/32")!, gateway: nil, outputIndex: 4, outputName: "osa10",
              routeProtocol: 4))
        ]),
      Plan(guestChanges: [guest("web01", "10.136.11.5")[2]].map(KernelChange.add)),
      "route 10.136.11.5/32 dev br-ex proto 151 scope link: collides with existing route "
        + "10.136.11.5/32 dev osa10 proto static, which routed-hook does not own"
    ),
  ])
  func refuses(_ name: String, _ view: KernelView, _ plan: Plan, _ message: String) {
    #expect(throws: KernelRefusal.self, "\(name)") { try ApplyDecision.decide(plan, view: view) }
    do {
      _ = try ApplyDecision.decide(plan, view: view)
    } catch {
      #expect(error.message == message)
    }
  }

  /// An add the kernel refused with EEXIST after the view was read: the executor asks the core whether what it
  /// found is ours (a race with another call of ours, nothing to refuse) or someone else's.
  @Test func anObjectThatAppearedAfterTheViewIsACollisionOnlyWhenItIsNotOurs() {
    let proto = Self.proto
    let route = OwnedRoute(
      destination: .host(IPv4Address("10.136.11.5")!), device: "br-ex", routeProtocol: proto)
    func found(_ routeProtocol: UInt8) -> KernelRoute {
      KernelRoute(
        destination: IPv4Network("10.136.11.5/32")!, gateway: nil, outputIndex: 4, outputName: "osa10",
        routeProtocol: routeProtocol)
    }
    #expect(ApplyDecision.collision(adding: route, found: found(proto)) == nil)
    #expect(
      ApplyDecision.collision(adding: route, found: found(4))?.message
        == "route 10.136.11.5/32 dev br-ex proto 151 scope link: collides with existing route "
        + "10.136.11.5/32 dev osa10 proto static, which routed-hook does not own")

    let neighbour = ProxyNeighbour(
      address: IPv6Address("fd00:10::136:11:5")!, device: "osa10", routeProtocol: proto)
    #expect(
      ApplyDecision.collision(
        adding: neighbour, found: KernelNeighbour(address: neighbour.address, index: 4, routeProtocol: proto))
        == nil)
    #expect(
      ApplyDecision.collision(
        adding: neighbour, found: KernelNeighbour(address: neighbour.address, index: 4, routeProtocol: 0))?
        .message
        == "neighbour proxy fd00:10::136:11:5 dev osa10 protocol 151: collides with an existing proxy entry of "
        + "protocol 0, which routed-hook does not own")
  }

  @Test func aStopReadsOnlyItsElementsAndRoutes() {
    let query = ApplyDecision.query(for: Self.stop)
    #expect(query.sysctls.isEmpty && !query.addresses && !query.nftables)
    #expect(query.elements.count == 2)
    #expect(query.links == ["br-ex"])
    #expect(query.routes == [IPNetwork("10.136.11.5/32")!])
  }

  @Test func aStartReadsTheBaselineOnceAndRulesOfItsChains() {
    let query = ApplyDecision.query(for: Self.start)
    #expect(query.sysctls == [Self.forwarding])
    #expect(query.links == ["br-ex"])
    #expect(query.addresses && query.nftables)
    #expect(query.chains == [NftObjectName(table: .filter, name: "forward")])
    #expect(query.elements.count == 2)
  }

  /// One step as text: what it does, then ` / ` and its undo when it has one.
  static func describe(_ planned: PlannedStep) -> String {
    describe(planned.step) + (planned.undo.map { " / " + describe($0) } ?? "")
  }

  static func describe(_ step: KernelStep) -> String {
    switch step {
    case .setLink(let link, let mtu): "link \(link.name) mtu \(mtu) up"
    case .changeAddress(let add, let link, let address, let routeProtocol):
      "address \(add ? "add" : "delete") \(address) dev \(link.name) proto \(routeProtocol)"
    case .writeSysctl(let setting): "sysctl \(setting)"
    case .commit(let operations): "nft [\(operations.map(describe).joined(separator: ", "))]"
    case .changeRoute(let change): "route \(change.operation) \(change.route) #\(change.outputIndex)"
    case .changeNeighbour(let add, let neighbour, let index):
      "neighbour \(add ? "add" : "delete") \(neighbour) #\(index)"
    }
  }

  static func describe(_ operation: NftOperation) -> String {
    switch operation {
    case .addTable(let table): "+table \(table.rawValue)"
    case .deleteTable(let table): "-table \(table.rawValue)"
    case .addSet(let set): "+\(set)"
    case .deleteSet(let set): "-\(set)"
    case .addChain(let chain): "+chain \(chain.name)"
    case .deleteChain(let chain): "-chain \(chain.name)"
    case .addRule(let rule, _): "+rule \(rule.tag)"
    case .deleteRule(let rule): "-rule \(rule.chain) #\(rule.handle)"
    case .addElement(let set, let key, let comment): "+element \(set.name) \(key) (\(comment))"
    case .deleteElement(let set, let key): "-element \(set.name) \(key)"
    }
  }
}

extension KernelView {
  init(
    links: [KernelLink] = [], sysctls: [KernelSysctl] = [], routes: [KernelRouteLookup] = []
  ) {
    self.init()
    self.links = links
    self.sysctls = sysctls
    self.routes = routes
  }
}
