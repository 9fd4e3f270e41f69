import Foundation
@testable import RoutedCore
import Testing

@Suite struct PlannerTests {
  let config = Fixture.config
  let facts = Fixture.facts

  func element(
    _ set: String, _ table: OwnedTable, _ address: String, _ interface: String? = nil, _ comment: String
  )
    -> KernelObject
  {
    .element(
      OwnedSet(table: table, name: set, keyType: interface == nil ? .address : .addressAndInterface),
      SetElementKey(address: IPv4Address(address)!, interface: interface), comment: comment)
  }

  @Test func talksGuestGetsElementsForThreeUplinksAndAHostRoute() throws {
    let domain = try Fixture.domain("web01.xml")
    let plan = try Planner.plan(.apply, domain: domain, config: config, records: [], facts: facts)
    let a = "10.136.11.5"
    #expect(
      plan.guestChanges
        == [
          element("guests_guests", .filter, a, nil, "web01"),
          element("egress", .filter, a, "osa10", "web01"),
          element("ingress", .filter, a, "osa10", "web01"),
          element("answer_production", .arpFilter, a, nil, "web01"),
          element("egress", .filter, a, "hsi0", "web01"),
          element("ingress", .filter, a, "hsi0", "web01"),
          element("egress", .filter, a, "osa172", "web01"),
          element("masquerade_guests", .nat, a, "osa172", "web01"),
          .route(
            OwnedRoute(destination: IPv4Network("10.136.11.5/32")!, device: "br-ex", routeProtocol: 151)),
        ].map(KernelChange.add))
    #expect(plan.record?.interfaces.map(\.addressText) == [a])
    #expect(plan.record?.objects.count == 9)
  }

  @Test func baselineHasGatewaySysctlsTablesAndPeerRoutes() throws {
    let baseline = Planner.baseline(config: config, facts: facts)
    #expect(baseline.contains(.link(interface: "br-ex", mtu: 57344)))
    #expect(
      baseline.contains(.address(interface: "br-ex", .v4(IPv4Interface("10.136.11.254/24")!), routeProtocol: 151)))
    let sysctls = baseline.compactMap { if case .sysctl(let s) = $0 { s.description } else { nil } }
    #expect(
      sysctls == [
        "net.ipv4.conf.br-ex.forwarding = 1", "net.ipv4.conf.br-ex.proxy_arp = 1",
        "net.ipv4.neigh.br-ex.proxy_delay = 0",
        "net.ipv4.conf.br-be.forwarding = 1", "net.ipv4.conf.br-be.proxy_arp = 1",
        "net.ipv4.neigh.br-be.proxy_delay = 0",
        "net.ipv4.conf.osa10.forwarding = 1", "net.ipv4.conf.osa10.proxy_arp = 1",
        "net.ipv4.neigh.osa10.proxy_delay = 0",
        "net.ipv4.conf.hsi0.forwarding = 1", "net.ipv4.conf.osa172.forwarding = 1",
      ], "proxy_arp only on bridges and proxy-arp uplinks")
    #expect(
      baseline.contains(.table(.filter)) && baseline.contains(.table(.nat))
        && baseline.contains(.table(.arpFilter)))
    #expect(baseline.contains(element("answer_production", .arpFilter, "10.131.11.254", nil, "host")))
    #expect(
      baseline.contains(
        .route(
          OwnedRoute(
            destination: IPv4Network("10.136.12.0/24")!, gateway: IPv4Address("172.31.56.2"), device: "hsi0",
            routeProtocol: 151))))
    let chains = baseline.compactMap { if case .chain(let c) = $0 { c } else { nil } }
    #expect(
      chains.map { "\($0.table.rawValue) \($0.name)" } == [
        "inet routed_hook prerouting", "inet routed_hook forward", "ip routed_hook_nat postrouting",
        "arp routed_hook input",
      ])
    let forward = try #require(chains.first { $0.name == "forward" })
    #expect(
      forward.rules.prefix(6).map(NftSyntax.rule) == [
        "iifname \"br-ex\" oifname \"br-ex\" accept",
        "iifname \"br-ex\" ip saddr . oifname @egress accept",
        "oifname \"br-ex\" ip daddr . iifname @ingress accept",
        "oifname \"br-ex\" ct state established,related accept",
        "iifname \"br-ex\" drop",
        "oifname \"br-ex\" drop",
      ])
  }

  @Test func noPolicyDropAnywhere() {
    let text = PlanText.render(Plan(baseline: Planner.baseline(config: config, facts: facts)))
    #expect(!text.contains("policy drop"))
    #expect(text.contains("policy accept"))
  }

  @Test func guestOnTwoNetworksWithRestrictedUplinks() throws {
    let domain = try Fixture.domain("app02-two-networks.xml")
    let plan = try Planner.plan(.apply, domain: domain, config: config, records: [], facts: facts)
    let record = try #require(plan.record)
    #expect(record.interfaces.map(\.network) == ["guests", "backend"])
    #expect(record.interfaces[0].uplinks == ["production", "intranet"])
    #expect(record.interfaces[1].uplinks == ["hipersockets"])
    #expect(
      !record.objects.contains(element("egress", .filter, "10.136.11.6", "hsi0", "app02")),
      "not allowed by metadata")
    #expect(record.objects.contains(element("egress", .filter, "10.137.11.6", "hsi0", "app02")))
    #expect(record.objects.contains(element("guests_backend", .filter, "10.137.11.6", nil, "app02")))
    #expect(
      record.objects.contains(
        .route(
          OwnedRoute(destination: .host(IPv4Address("10.137.11.6")!), device: "br-be", routeProtocol: 151))))
    #expect(
      record.interfaces.allSatisfy { $0.mac != MACAddress("52:54:00:ff:00:06") },
      "the NIC on 'default' is not ours")
  }

  @Test func configDomainsServeDomainsWithoutMetadata() throws {
    let plan = try Planner.plan(
      .apply, domain: try Fixture.domain("nometa.xml"), config: config, records: [], facts: facts)
    #expect(plan.record?.interfaces.map(\.addressText) == ["10.136.11.7"])
    #expect(plan.record?.interfaces.first?.uplinks == ["production"])
  }

  @Test func metadataWinsOverConfigDomains() throws {
    var config = self.config
    config.domains["web01"] = [
      GuestAddress(mac: MACAddress("52:54:00:11:00:05")!, address: IPv4Address("10.136.11.99")!)
    ]
    let plan = try Planner.plan(
      .apply, domain: try Fixture.domain("web01.xml"), config: config, records: [], facts: facts)
    #expect(plan.record?.interfaces.map(\.addressText) == ["10.136.11.5"])
  }

  @Test(arguments: ["ethernet.xml", "lxc.xml"])
  func unmanagedDomainsPlanNothing(fixture: String) throws {
    var config = self.config
    config.guestNetworks[0].bridge = "br-other"
    let plan = try Planner.plan(
      .apply, domain: try Fixture.domain(fixture), config: config, records: [], facts: facts)
    #expect(plan.isEmpty)
    #expect(plan.record == nil)
  }

  @Test func stopRemovesExactlyTheRecordEvenAfterConfigChanged() throws {
    let domain = try Fixture.domain("web01.xml")
    let applied = try Planner.plan(.apply, domain: domain, config: config, records: [], facts: facts)
    let record = try #require(applied.record)
    var changed = config
    changed.guestNetworks.removeAll()
    let release = try Fixture.domain("web01-release.xml")
    let plan = try Planner.plan(
      .remove, domain: release, config: changed, records: [record], facts: HostFacts())
    #expect(plan.guestChanges == record.objects.map(KernelChange.remove))
    #expect(plan.baseline.isEmpty)
    #expect(plan.record == nil)
    #expect(
      try Planner.plan(.remove, domain: release, config: changed, records: [], facts: HostFacts()).isEmpty)
  }

  @Test func reapplyAfterConfigChangeRemovesStaleObjects() throws {
    let domain = try Fixture.domain("web01.xml")
    let record = try #require(
      try Planner.plan(.apply, domain: domain, config: config, records: [], facts: facts).record)
    var narrowed = config
    narrowed.guestNetworks[0].uplinks = ["production"]
    let plan = try Planner.plan(.reapply, domain: domain, config: narrowed, records: [record], facts: facts)
    let removed = plan.guestChanges.filter { $0.kind == .remove }.map(\.object)
    #expect(removed.contains(element("masquerade_guests", .nat, "10.136.11.5", "osa172", "web01")))
    #expect(removed.contains(element("egress", .filter, "10.136.11.5", "hsi0", "web01")))
    #expect(!removed.contains(element("egress", .filter, "10.136.11.5", "osa10", "web01")))
  }

  @Test(arguments: [
    (
      "<rh:interface mac='52:54:00:11:00:05' address='10.200.0.5'/>",
      "domain web01: NIC 52:54:00:11:00:05 address 10.200.0.5 is outside guest network 'guests' (10.136.11.0/24)"
    ),
    (
      "<rh:interface mac='52:54:00:11:00:05' address='10.136.11.254'/>",
      "domain web01: NIC 52:54:00:11:00:05 address 10.136.11.254 is the gateway, network or broadcast address of 'guests'"
    ),
    (
      "<rh:interface mac='52:54:00:11:00:05' address='10.136.11.0'/>",
      "domain web01: NIC 52:54:00:11:00:05 address 10.136.11.0 is the gateway, network or broadcast address of 'guests'"
    ),
    (
      "<rh:interface mac='52:54:00:11:00:05' address='10.136.11.255'/>",
      "domain web01: NIC 52:54:00:11:00:05 address 10.136.11.255 is the gateway, network or broadcast address of 'guests'"
    ),
    (
      "<rh:interface mac='52:54:00:11:00:05' address='10.136.11.5' uplinks='production moon'/>",
      "domain web01: NIC 52:54:00:11:00:05 asks for uplink 'moon', which guest network 'guests' does not allow (allowed: production, hipersockets, intranet)"
    ),
  ])
  func invalidManagedDomainsAreRefused(metadata: String, message: String) throws {
    let xml = Fixture.text("web01.xml").replacingOccurrences(
      of: "<rh:interface mac=\"52:54:00:11:00:05\" address=\"10.136.11.5\"/>", with: metadata)
    let domain = try DomainXML.parse(Array(xml.utf8))
    #expect(throws: DomainError(message)) {
      try Planner.plan(.validate, domain: domain, config: config, records: [], facts: facts)
    }
  }

  @Test func addressHeldByAnotherRunningDomainIsRefused() throws {
    let other = DomainRecord(
      domain: DomainIdentity(name: "web09", uuid: "99999999-2b4a-4c1e-9d55-0d9a0f1e2b3c"),
      interfaces: [
        ManagedInterface(
          mac: MACAddress("52:54:00:11:00:99")!, address: IPv4Address("10.136.11.5")!, network: "guests",
          bridge: "br-ex", uplinks: [])
      ],
      objects: [])
    #expect(
      throws: DomainError(
        "domain web01: address 10.136.11.5 is already used by running domain web09 (NIC 52:54:00:11:00:99)")
    ) {
      try Planner.plan(
        .validate, domain: try Fixture.domain("web01.xml"), config: config, records: [other], facts: facts)
    }
  }

  @Test func missingBridgeOrUplinkIsRefusedAtPrepare() throws {
    var facts = self.facts
    facts.addresses["br-ex"] = nil
    #expect(throws: DomainError("bridge br-ex does not exist on this host")) {
      try Planner.plan(
        .validate, domain: try Fixture.domain("web01.xml"), config: config, records: [], facts: facts)
    }
    facts = self.facts
    facts.addresses["osa172"] = nil
    #expect(throws: DomainError("uplink 'intranet': interface osa172 does not exist on this host")) {
      try Planner.plan(
        .validate, domain: try Fixture.domain("web01.xml"), config: config, records: [], facts: facts)
    }
  }

  @Test func proxyARPSubnetClashIsRefusedAtPrepare() throws {
    var facts = self.facts
    facts.addresses["hsi0"] = [IPv4Interface("10.131.12.254/8")!]
    #expect(throws: DomainError.self) {
      try Planner.plan(
        .validate, domain: try Fixture.domain("web01.xml"), config: config, records: [], facts: facts)
    }
  }

  @Test func planTextForTheTalksGuest() throws {
    let plan = try Planner.plan(
      .apply, domain: try Fixture.domain("web01.xml"), config: config, records: [], facts: facts)
    #expect(PlanText.render(plan) == Fixture.text("web01.plan"))
  }
}

@Suite struct VisitingGuestTests {
  @Test func aGuestFromThePeerHostKeepsItsAddressHere() throws {
    let lpar12 = try ConfigLoader.load(yaml: Fixture.text("lpar12.yaml"), file: "lpar12.yaml")
    // web01 (10.136.11.5, LPAR 11's network) started on LPAR 12, as after a migration.
    let plan = try Planner.plan(
      .apply, domain: try Fixture.domain("web01.xml"), config: lpar12, records: [], facts: Fixture.facts)
    #expect(plan.record?.interfaces.map(\.addressText) == ["10.136.11.5"])
    #expect(
      plan.guestChanges.contains(
        .add(
          .route(
            OwnedRoute(destination: .host(IPv4Address("10.136.11.5")!), device: "br-ex", routeProtocol: 151)))
      ))
  }

  /// Issue 11, defect 10: a visitor's address is still a host address of the subnet it comes from.
  @Test(arguments: ["10.136.11.0", "10.136.11.255"])
  func aVisitorWithItsSubnetsNetworkOrBroadcastAddressIsRefused(address: String) throws {
    let lpar12 = try ConfigLoader.load(yaml: Fixture.text("lpar12.yaml"), file: "lpar12.yaml")
    let xml = Fixture.text("web01.xml").replacingOccurrences(of: "10.136.11.5", with: address)
    #expect(
      throws: DomainError(
        "domain web01: NIC 52:54:00:11:00:05 address \(address) is the network or broadcast address of 10.136.11.0/24, the subnet it visits from"
      )
    ) {
      try Planner.plan(
        .apply, domain: try DomainXML.parse(Array(xml.utf8)), config: lpar12, records: [],
        facts: Fixture.facts)
    }
  }

  @Test func anAddressNeitherHereNorAtAPeerIsStillRefused() throws {
    let lpar12 = try ConfigLoader.load(yaml: Fixture.text("lpar12.yaml"), file: "lpar12.yaml")
    let xml = Fixture.text("web01.xml").replacingOccurrences(of: "10.136.11.5", with: "10.200.0.5")
    #expect(
      throws: DomainError(
        "domain web01: NIC 52:54:00:11:00:05 address 10.200.0.5 is outside guest network 'guests' (10.136.12.0/24)"
      )
    ) {
      try Planner.plan(
        .apply, domain: try DomainXML.parse(Array(xml.utf8)), config: lpar12, records: [],
        facts: Fixture.facts)
    }
  }
}
