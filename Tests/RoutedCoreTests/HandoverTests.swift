@testable import RoutedCore
import Testing

/// The migration handover's decisions as tables: which claim a start makes, when a claim changes, what the
/// plan of each change holds, the order its route steps take, and where gratuitous ARP goes.
@Suite struct HandoverTests {
  static let proto: UInt8 = 151
  static let address = IPv4Address("10.136.11.5")!
  static let answer = OwnedSet(table: .arpFilter, name: "answer_production", keyType: .address)

  static func started(_ claim: Handover.Claim) throws -> Plan {
    try Planner.plan(
      .apply, domain: Fixture.domain("web01.xml"), config: Fixture.config, records: [], facts: Fixture.facts,
      claim: claim)
  }

  static func routes(_ objects: [KernelObject]) -> [OwnedRoute] {
    objects.compactMap { if case .route(let route) = $0 { route } else { nil } }
  }

  static func answers(_ objects: [KernelObject]) -> [SetElementKey] {
    objects.compactMap { if case .element(answer, let key, _) = $0 { key } else { nil } }
  }

  @Test(arguments: [
    (nil as Int?, 1000, GuestRoutePreference.normal),  // no `migrate begin`: a plain start
    (1000, 1000, .arriving),  // migrate and started in the same second
    (990, 1000, .arriving),
    (881, 1000, .arriving),  // 119 s: still this migration's prepare phase
    (880, 1000, .normal),  // 120 s: left by a migration that failed before prepare
    (1005, 1000, .normal),  // from the future (a clock that cannot go back): not trusted
    (-5, 1000, .normal),  // a marker holding a negative second: no boot-clock time
    (Int.min, 1000, .normal),  // `now - markedAt` trapped: a planted marker crashed `started`
  ])
  func startClaim(markedAt: Int?, now: Int, expected: GuestRoutePreference) {
    let claim = Handover.startClaim(markedAt: markedAt, now: now)
    #expect(claim.preference == expected)
    #expect(claim.since == (expected == .normal ? 0 : now))
  }

  /// Only `started` claims and consumes the marker; a reconnect's reapply keeps the record's claim and leaves
  /// a marker for the `started` it belongs to.
  @Test func onlyStartedConsumesTheMarker() {
    var taken = 0
    let marker = { () -> Int? in
      taken += 1
      return 995
    }
    #expect(Handover.startClaim(for: .reapply, marker: marker, now: 1000) == nil)
    #expect(Handover.startClaim(for: .validate, marker: marker, now: 1000) == nil)
    #expect(taken == 0)
    #expect(Handover.startClaim(for: .apply, marker: marker, now: 1000)?.preference == .arriving)
    #expect(taken == 1)
  }

  @Test(arguments: [
    (GuestRoutePreference.arriving, true as Bool?, 0, GuestRoutePreference?.some(.moved)),
    (.arriving, false, 0, nil),  // paused: the source still runs it
    (.arriving, nil, 0, nil),  // libvirt not asked: never on a guess
    (.moved, nil, 29, nil),
    (.moved, true, 29, nil),
    (.moved, nil, 30, .normal),
    (.moved, false, 600, .normal),
    (.normal, true, 600, nil),
    (.leaving, true, 0, .normal),  // libvirt lists it running here again: its migration failed
    (.leaving, false, 600, nil),  // still paused for the switchover
    (.leaving, nil, 600, nil),  // libvirt not asked: the destination may run it already
  ])
  func nextClaim(
    preference: GuestRoutePreference, running: Bool?, age: Int, expected: GuestRoutePreference?
  ) {
    let record = DomainRecord(
      domain: DomainIdentity(name: "web01", uuid: "u"), interfaces: [], objects: [], preference: preference,
      since: 1000)
    #expect(Handover.next(record, running: running, now: 1000 + age) == expected)
  }

  @Test func arrivingStartHoldsBackTheUplinkAnswerAndRoutesAtMetric512() throws {
    let normal = try Self.started(.normal)
    let arriving = try Self.started(Handover.Claim(.arriving, since: 1000))
    let normalObjects = normal.record!.objects
    let arrivingObjects = arriving.record!.objects
    #expect(Self.answers(normalObjects) == [SetElementKey(address: Self.address)])
    #expect(Self.answers(arrivingObjects).isEmpty)
    #expect(Self.routes(normalObjects).map(\.metric) == [0])
    #expect(Self.routes(arrivingObjects).map(\.metric) == [512])
    // Everything else (anti-spoofing, forwarding, masquerade) is there from the start, as for any guest.
    let rest = normalObjects.filter { Self.answers([$0]).isEmpty && Self.routes([$0]).isEmpty }
    #expect(arrivingObjects.filter { Self.routes([$0]).isEmpty } == rest)
    #expect(arriving.record?.preference == .arriving)
    #expect(arriving.record?.since == 1000)
    #expect(normal.record?.preference == .normal)
  }

  @Test func reapplyKeepsTheRecordedClaim() throws {
    let record = try Self.started(Handover.Claim(.arriving, since: 1000)).record!
    let plan = try Planner.plan(
      .reapply, domain: Fixture.domain("web01.xml"), config: Fixture.config, records: [record],
      facts: Fixture.facts)
    #expect(plan.record == record)
    #expect(plan.guestChanges.allSatisfy { $0.kind == .add })
  }

  @Test func finishingAnArrivalMakesTheAnswerLiveAndMovesTheRouteTo256() throws {
    let record = try Self.started(Handover.Claim(.arriving, since: 1000)).record!
    let plan = Handover.plan(record, to: .moved, config: Fixture.config, now: 1010)
    let removed = plan.guestChanges.filter { $0.kind == .remove }.map(\.object)
    let added = plan.guestChanges.filter { $0.kind == .add }.map(\.object)
    #expect(Self.routes(removed).map(\.metric) == [512])
    #expect(Self.routes(added).map(\.metric) == [256])
    #expect(Self.answers(added) == [SetElementKey(address: Self.address)])
    #expect(Self.answers(removed).isEmpty)
    #expect(plan.record?.preference == .moved)
    #expect(plan.record?.since == 1010)
    #expect(plan.baseline.isEmpty)

    let settled = Handover.plan(plan.record!, to: .normal, config: Fixture.config, now: 1040)
    #expect(
      Self.routes(settled.guestChanges.filter { $0.kind == .remove }.map(\.object)).map(\.metric) == [256])
    #expect(Self.routes(settled.guestChanges.filter { $0.kind == .add }.map(\.object)).map(\.metric) == [0])
    #expect(settled.record?.preference == .normal)
    #expect(settled.record?.since == 0)
    // Settled, the record is exactly what a plain start writes.
    #expect(settled.record?.objects == (try Self.started(.normal)).record?.objects)
  }

  @Test(arguments: [
    (Handover.MigrationEvent.pausedForMigration, GuestRoutePreference?.some(.normal), Handover.Step?.some(.withdraw)),
    (.pausedForMigration, .moved, .withdraw),
    (.pausedForMigration, .arriving, nil),
    (.pausedForMigration, .leaving, nil),
    (.pausedForMigration, nil, nil),
    (.resumed, .arriving, .finishArrival),
    (.resumed, .leaving, .restore),
    (.resumed, .normal, nil),
    (.resumed, .moved, nil),
    (.resumed, nil, nil),
    (.stoppedAfterMigration, .normal, .remove),
    (.stoppedAfterMigration, .leaving, .remove),
    (.stoppedAfterMigration, .arriving, .remove),
    (.stoppedAfterMigration, nil, nil),
  ])
  func stepForAnEvent(event: Handover.MigrationEvent, claim: GuestRoutePreference?, expected: Handover.Step?) {
    #expect(Handover.step(for: event, claim: claim) == expected)
  }

  @Test func stepsMakeTheirClaims() {
    #expect(Handover.claim(after: .finishArrival) == .moved)
    #expect(Handover.claim(after: .withdraw) == .leaving)
    #expect(Handover.claim(after: .restore) == .normal)
    #expect(Handover.claim(after: .remove) == nil)
  }

  @Test func leavingAnswersNowhereOnTheLANAndClaimsBelowEveryone() {
    #expect(GuestRoutePreference.leaving.metric == 768)
    #expect(GuestRoutePreference.leaving.localPreference < GuestRoutePreference.normal.localPreference)
    #expect(GuestRoutePreference.leaving.birdPreference < 100)  // below BGP's: the destination's claim wins here
    #expect(GuestRoutePreference.allCases.filter(\.answersOnUplinks) == [.normal, .moved])
  }

  @Test func withdrawingTakesTheUplinkAnswerAndMovesTheRouteTo768() throws {
    let record = try Self.started(.normal).record!
    let plan = Handover.plan(record, to: .leaving, config: Fixture.config, now: 2000)
    let removed = plan.guestChanges.filter { $0.kind == .remove }.map(\.object)
    let added = plan.guestChanges.filter { $0.kind == .add }.map(\.object)
    #expect(Self.answers(removed) == [SetElementKey(address: Self.address)])
    #expect(Self.answers(added).isEmpty)
    #expect(Self.routes(removed).map(\.metric) == [0])
    #expect(Self.routes(added).map(\.metric) == [768])
    // Nothing else changes: anti-spoofing, forwarding and masquerade stay while the guest is paused here.
    #expect(Set(removed) == Set(record.objects.filter { !Self.answers([$0]).isEmpty || !Self.routes([$0]).isEmpty }))
    #expect(plan.record?.preference == .leaving)
    #expect(plan.record?.since == 2000)
    // The record holds what is left, so `stopped` removes exactly that.
    #expect(Planner.removal(of: plan.record).guestChanges.map(\.object) .allSatisfy { plan.record!.objects.contains($0) })

    // The migration failed: restored, the record is exactly what a plain start writes.
    let restored = Handover.plan(plan.record!, to: .normal, config: Fixture.config, now: 2010)
    #expect(Self.answers(restored.guestChanges.filter { $0.kind == .add }.map(\.object)) == [SetElementKey(address: Self.address)])
    #expect(restored.record?.objects == record.objects)
    #expect(restored.record?.preference == .normal)
  }

  @Test func withdrawingAddsLeavingBeforeDeletingNormal() throws {
    let plan = Plan(guestChanges: [.remove(.route(Self.route(0))), .add(.route(Self.route(768)))])
    #expect(ApplyDecision.query(for: plan).ownedRoutes == Self.proto)
    let changes = try ApplyDecision.decide(
      plan, view: Self.view(best: Self.kernelRoute(0), owned: [Self.kernelRoute(0)]))
    #expect(
      Self.routeSteps(changes) == [
        RouteChange(.add, Self.route(768), outputIndex: 3),
        RouteChange(.delete, Self.route(0), outputIndex: 3),
      ])
  }

  @Test func announcementsGoToProxyARPUplinksAndTheBridge() throws {
    let record = try Self.started(.normal).record!
    // web01 may use production (proxy-arp), hipersockets (routed) and intranet (nat): only osa10 is a LAN
    // where this host answers for the guest.
    #expect(
      Handover.announcements(record, config: Fixture.config) == [
        Handover.Announcement(interface: "osa10", address: .v4(Self.address), sender: nil),
        Handover.Announcement(
          interface: "br-ex", address: .v4(Self.address), sender: MACAddress("52:54:00:11:00:05")),
        // The guest's router: the moved guest still holds the source host's bridge MAC for it.
        Handover.Announcement(interface: "br-ex", address: .v4(IPv4Address("10.136.11.254")!)),
      ])
    // Two NICs on one bridge: the gateway is announced once.
    var twoNICs = record
    twoNICs.interfaces.append(record.interfaces[0])
    twoNICs.interfaces[1].mac = MACAddress("52:54:00:11:00:06")!
    twoNICs.interfaces[1].address = IPv4Address("10.136.11.6")!
    #expect(
      Handover.announcements(twoNICs, config: Fixture.config).filter { $0.address == .v4(IPv4Address("10.136.11.254")!) }
        .count == 1)
  }

  // MARK: dual stack: the /128 takes the claims, the proxy entry waits, neighbour advertisements

  static let address6 = IPv6Address("fd00:10::136:11:5")!
  static let dualNIC = ManagedInterface(
    mac: MACAddress("52:54:00:11:00:05")!, address: address, address6: address6, network: "guests",
    bridge: "br-ex", uplinks: ["production", "hipersockets", "intranet"])
  static let web01 = DomainIdentity(name: "web01", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")

  static func dualRecord(_ preference: GuestRoutePreference) -> DomainRecord {
    DomainRecord(
      domain: web01, interfaces: [dualNIC],
      objects: Planner.guestObjects(
        for: [dualNIC], domain: web01, config: DualStackConfigTests.config, preference: preference),
      preference: preference, since: preference == .normal ? 0 : 1000)
  }

  static func proxyEntries(_ objects: [KernelObject]) -> [String] {
    objects.compactMap { if case .neighbour(let entry) = $0 { "\(entry.address) \(entry.device)" } else { nil } }
  }

  /// Both families' routes carry the claim's metric; the proxy neighbour entry, like the ARP answer, comes
  /// only when the guest has moved here, and every change adds the new /128 before deleting the old one.
  @Test(arguments: [
    (GuestRoutePreference.arriving, [UInt32(512), 512], [String]()),
    (.moved, [256, 256], ["fd00:10::136:11:5 osa10"]),
    (.normal, [0, 0], ["fd00:10::136:11:5 osa10"]),
  ])
  func theIPv6RouteTakesTheClaim(preference: GuestRoutePreference, metrics: [UInt32], entries: [String]) {
    let objects = Self.dualRecord(preference).objects
    #expect(Self.routes(objects).map(\.metric) == metrics)
    #expect(Self.routes(objects).map(\.destination.isV6) == [false, true])
    #expect(Self.proxyEntries(objects) == entries)
  }

  @Test func arrivingToMovedAddsTheProxyEntryAndSwapsBothRoutes() {
    let plan = Handover.plan(
      Self.dualRecord(.arriving), to: .moved, config: DualStackConfigTests.config, now: 1010)
    let added = plan.guestChanges.filter { $0.kind == .add }.map(\.object)
    let removed = plan.guestChanges.filter { $0.kind == .remove }.map(\.object)
    #expect(Self.routes(added).map(\.metric) == [256, 256])
    #expect(Self.routes(removed).map(\.metric) == [512, 512])
    #expect(Self.proxyEntries(added) == ["fd00:10::136:11:5 osa10"])
    #expect(Self.proxyEntries(removed).isEmpty)
    #expect(plan.record?.preference == .moved)
  }

  /// A /128 at the `normal` claim reads back at the kernel's 1024 and is the planned route; one at 512 is not.
  @Test func aNormalIPv6RouteReadsBackAt1024() {
    let owned = OwnedRoute(destination: .host(.v6(Self.address6)), device: "br-ex", routeProtocol: Self.proto)
    func kernel(_ metric: UInt32) -> KernelRoute {
      KernelRoute(
        destination: .host(.v6(Self.address6)), gateway: nil, outputIndex: 3, outputName: "br-ex",
        routeProtocol: Self.proto, metric: metric)
    }
    #expect(kernel(1024).isSame(as: owned, outputIndex: 3))
    #expect(!kernel(512).isSame(as: owned, outputIndex: 3))
    #expect(kernel(512).isSame(as: OwnedRoute(destination: owned.destination, device: "br-ex", routeProtocol: Self.proto, metric: 512), outputIndex: 3))
    // An IPv4 route at 1024 is not a normal claim: only IPv6 turns 0 into 1024.
    let v4 = KernelRoute(
      destination: .host(.v4(Self.address)), gateway: nil, outputIndex: 3, outputName: "br-ex",
      routeProtocol: Self.proto, metric: 1024)
    #expect(!v4.isSame(as: Self.route(0), outputIndex: 3))
  }

  /// IPv4: gratuitous ARP on the proxy-arp uplink, and on the bridge for the guest and its gateway. IPv6: a neighbour advertisement for the
  /// guest's address on the proxy-arp uplink only, and one for the gateway fe80::1 (router flag) on the
  /// bridge; none on the routed or nat uplinks.
  @Test func aDualStackGuestIsAnnouncedForBothFamilies() {
    #expect(
      Handover.announcements(Self.dualRecord(.moved), config: DualStackConfigTests.config) == [
        Handover.Announcement(interface: "osa10", address: .v4(Self.address)),
        Handover.Announcement(interface: "br-ex", address: .v4(Self.address), sender: MACAddress("52:54:00:11:00:05")),
        Handover.Announcement(interface: "br-ex", address: .v4(IPv4Address("10.136.11.254")!)),
        Handover.Announcement(interface: "osa10", address: .v6(Self.address6)),
        Handover.Announcement(interface: "br-ex", address: .v6(IPv6Address("fe80::1")!), router: true),
      ])
    #expect(
      Handover.announcements(Self.dualRecord(.moved), config: DualStackConfigTests.config).map(\.description) == [
        "gratuitous ARP: 10.136.11.5 on osa10 as its own MAC",
        "gratuitous ARP: 10.136.11.5 on br-ex as 52:54:00:11:00:05",
        "gratuitous ARP: 10.136.11.254 on br-ex as its own MAC",
        "neighbour advertisement: fd00:10::136:11:5 on osa10 as its own MAC",
        "neighbour advertisement: fe80::1 on br-ex (router) as its own MAC",
      ])
  }

  @Test func aRecreatedProxyARPUplinkGetsItsGuestsAnnounced() throws {
    let normal = try Self.started(.normal).record!
    let leaving = Handover.plan(normal, to: .leaving, config: Fixture.config, now: 5).record!
    let proxyARP = KernelObject.sysctl(InterfaceSysctl(interface: "osa10", key: .proxyARP, value: 1))
    let forwarding = KernelObject.sysctl(InterfaceSysctl(interface: "osa10", key: .forwarding, value: 1))
    let routedUplink = KernelObject.sysctl(InterfaceSysctl(interface: "hsi0", key: .forwarding, value: 1))
    // osa10's proxy_arp had to be set again: it was re-created; its guest is announced there, with its MAC.
    #expect(
      Handover.reannouncements(repaired: [forwarding, proxyARP], records: [normal], config: Fixture.config) == [
        Handover.Announcement(interface: "osa10", address: .v4(Self.address), sender: nil)
      ])
    // A dual-stack guest on an uplink whose proxy_ndp had to be set again: both of its addresses.
    let proxyNDP = KernelObject.sysctl(InterfaceSysctl(interface: "osa10", key: .proxyNDP, value: 1))
    #expect(
      Handover.reannouncements(
        repaired: [proxyNDP], records: [Self.dualRecord(.normal)], config: DualStackConfigTests.config) == [
          Handover.Announcement(interface: "osa10", address: .v4(Self.address)),
          Handover.Announcement(interface: "osa10", address: .v6(Self.address6)),
        ])
    // A guest paused here to move (or arriving) is not answered for there: not announced.
    #expect(Handover.reannouncements(repaired: [proxyARP], records: [leaving], config: Fixture.config).isEmpty)
    // Only forwarding, or another uplink, or nothing of the baseline: no ARP on the LAN.
    #expect(Handover.reannouncements(repaired: [forwarding, routedUplink], records: [normal], config: Fixture.config).isEmpty)
    #expect(Handover.reannouncements(repaired: [], records: [normal], config: Fixture.config).isEmpty)
  }

  // MARK: the route steps of a claim change

  static let bridge = KernelLink(index: 3, name: "br-ex", mtu: 9000, isUp: true)
  static func route(_ metric: UInt32) -> OwnedRoute {
    OwnedRoute(destination: .host(address), device: "br-ex", routeProtocol: proto, metric: metric)
  }
  static func kernelRoute(_ metric: UInt32, protocol routeProtocol: UInt8 = proto) -> KernelRoute {
    KernelRoute(
      destination: .host(address), gateway: nil, outputIndex: 3, outputName: "br-ex",
      routeProtocol: routeProtocol,
      metric: metric)
  }
  /// BIRD's copy of the source's announcement: `via` the peer, metric 32.
  static let birdRoute = KernelRoute(
    destination: .host(address), gateway: IPv4Address("172.31.56.2"), outputIndex: 5, outputName: "hsi0",
    routeProtocol: 12, metric: 32)

  static func view(best: KernelRoute?, owned: [KernelRoute]?) -> KernelView {
    var view = KernelView()
    view.links = [bridge]
    view.routes = [KernelRouteLookup(destination: .v4(.host(address)), route: best)]
    view.ownedRoutes = owned
    return view
  }

  static func routeSteps(_ changes: KernelChanges) -> [RouteChange] {
    changes.steps.compactMap { if case .changeRoute(let change) = $0.step { change } else { nil } }
  }

  @Test func aPlanWithAMigrationMetricAsksForEveryOwnedRoute() {
    let plain = Plan(guestChanges: [.add(.route(Self.route(0)))])
    let claim = Plan(guestChanges: [.add(.route(Self.route(256))), .remove(.route(Self.route(512)))])
    #expect(ApplyDecision.query(for: plain).ownedRoutes == nil)
    #expect(ApplyDecision.query(for: claim).ownedRoutes == Self.proto)
  }

  @Test func arrivingRouteGoesBesideBIRDsBetterOne() throws {
    // On the destination BIRD installed the source's announcement (metric 32): the FIB lookup shows it.
    let plan = Plan(guestChanges: [.add(.route(Self.route(512)))])
    let changes = try ApplyDecision.decide(plan, view: Self.view(best: Self.birdRoute, owned: []))
    #expect(Self.routeSteps(changes) == [RouteChange(.add, Self.route(512), outputIndex: 3)])
  }

  @Test func movedIsAddedBeforeArrivingIsDeleted() throws {
    // The FIB lookup shows BIRD's route (metric 32 beats our 512): only the dump shows ours.
    let plan = Plan(guestChanges: [.remove(.route(Self.route(512))), .add(.route(Self.route(256)))])
    let changes = try ApplyDecision.decide(
      plan, view: Self.view(best: Self.birdRoute, owned: [Self.kernelRoute(512)]))
    #expect(
      Self.routeSteps(changes) == [
        RouteChange(.add, Self.route(256), outputIndex: 3),
        RouteChange(.delete, Self.route(512), outputIndex: 3),
      ])
    #expect(changes.report.added == [.route(Self.route(256))])
    #expect(changes.report.removed == [.route(Self.route(512))])
  }

  @Test func settlingAddsNormalBeforeDeletingMoved() throws {
    let plan = Plan(guestChanges: [.remove(.route(Self.route(256))), .add(.route(Self.route(0)))])
    let changes = try ApplyDecision.decide(
      plan, view: Self.view(best: Self.kernelRoute(256), owned: [Self.kernelRoute(256)]))
    #expect(
      Self.routeSteps(changes) == [
        RouteChange(.add, Self.route(0), outputIndex: 3),
        RouteChange(.delete, Self.route(256), outputIndex: 3),
      ])
  }

  @Test func stoppingAnArrivingGuestDeletesOurRouteNotBIRDs() throws {
    // A migration that failed after `started`: the record holds the 512 route, BIRD's is the best.
    let plan = Planner.removal(
      of: DomainRecord(
        domain: DomainIdentity(name: "web01", uuid: "u"), interfaces: [], objects: [.route(Self.route(512))],
        preference: .arriving, since: 1))
    let query = ApplyDecision.query(for: plan)
    #expect(query.ownedRoutes == Self.proto)
    let changes = try ApplyDecision.decide(
      plan, view: Self.view(best: Self.birdRoute, owned: [Self.kernelRoute(512)]))
    #expect(Self.routeSteps(changes) == [RouteChange(.delete, Self.route(512), outputIndex: 3)])
    // And when ours is gone already, nothing is deleted (the kernel would take the first match at any metric).
    let gone = try ApplyDecision.decide(plan, view: Self.view(best: Self.birdRoute, owned: []))
    #expect(Self.routeSteps(gone).isEmpty)
  }

  @Test func theSourcesStopLeavesBIRDsRouteToTheDestination() throws {
    // The source after the move: its own metric-0 route is best; BIRD's (the destination's) waits behind it.
    let plan = Plan(guestChanges: [.remove(.route(Self.route(0)))])
    let changes = try ApplyDecision.decide(plan, view: Self.view(best: Self.kernelRoute(0), owned: nil))
    #expect(Self.routeSteps(changes) == [RouteChange(.delete, Self.route(0), outputIndex: 3)])
    // Once ours is gone, the best route is BIRD's: a second stop deletes nothing.
    let again = try ApplyDecision.decide(plan, view: Self.view(best: Self.birdRoute, owned: nil))
    #expect(Self.routeSteps(again).isEmpty)
  }

  @Test func anotherProgramsRouteStillCollides() {
    let foreign = KernelRoute(
      destination: .host(Self.address), gateway: nil, outputIndex: 3, outputName: "br-ex", routeProtocol: 4)
    let plan = Plan(guestChanges: [.add(.route(Self.route(512)))])
    #expect(throws: KernelRefusal.self) {
      try ApplyDecision.decide(plan, view: Self.view(best: foreign, owned: []))
    }
  }

  // MARK: records

  @Test func recordsCarryTheClaimAndOldRecordsReadAsNormal() throws {
    let record = try Self.started(Handover.Claim(.arriving, since: 1234)).record!
    let text = RecordJSON.text(record)
    #expect(text.contains("\"preference\": \"arriving\""))
    #expect(text.contains("\"metric\": 512"))
    #expect(RecordJSON.record(Array(text.utf8)) == record)

    let normal = try Self.started(.normal).record!
    let plain = RecordJSON.text(normal)
    #expect(!plain.contains("preference") && !plain.contains("metric"))
    #expect(RecordJSON.record(Array(plain.utf8))?.preference == .normal)
    // An unknown claim is not a record we understand: refused, not guessed.
    let unknown = text.replacingOccurrences(of: "\"arriving\"", with: "\"departed\"")
    #expect(RecordJSON.record(Array(unknown.utf8)) == nil)
    // A leaving record (the source, paused for the switchover) reads back as written, route at 768.
    let leaving = Handover.plan(normal, to: .leaving, config: Fixture.config, now: 1300).record!
    let leavingText = RecordJSON.text(leaving)
    #expect(leavingText.contains("\"preference\": \"leaving\"") && leavingText.contains("\"metric\": 768"))
    #expect(RecordJSON.record(Array(leavingText.utf8)) == leaving)
  }

  /// A claim time that is no boot-clock second is refused with the record (which the store then moves
  /// aside): `-9223372036854775808` read as Int.min made `now - since` trap in `settleMoved` and `reconcile`.
  @Test(arguments: ["-9223372036854775808", "-1", "12.5", "1e300"])
  func aClaimTimeThatIsNoBootClockSecondIsNoRecord(since: String) throws {
    let record = try Self.started(Handover.Claim(.moved, since: 1234)).record!
    let text = RecordJSON.text(record)
    #expect(text.contains("\"since\": 1234"))
    let hostile = text.replacingOccurrences(of: "\"since\": 1234", with: "\"since\": \(since)")
    #expect(RecordJSON.record(Array(hostile.utf8)) == nil)
  }
}
