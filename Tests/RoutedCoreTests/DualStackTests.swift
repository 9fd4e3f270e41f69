import Foundation
@testable import RoutedCore
import Testing

/// IPv6 next to IPv4: addresses as text, the config's new fields and their errors, the plan's objects, records.
@Suite struct IPv6TextTests {
  @Test(arguments: [
    ("fd00:10::136:11:5", "fd00:10::136:11:5"), ("::", "::"), ("::1", "::1"), ("fe80::1", "fe80::1"),
    ("FD00:0:0:0:0:0:0:1", "fd00::1"), ("1:0:0:1:0:0:0:1", "1:0:0:1::1"), ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
    ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
  ])
  func parsesAndPrintsCanonically(text: String, canonical: String) throws {
    let address = try #require(IPv6Address(text))
    #expect(address.description == canonical)
    #expect(IPv6Address(canonical) == address)
    #expect(IPv6Address(networkBytes: address.bytes) == address)
  }

  @Test(arguments: [
    "", ":", ":::", "1:::2", "1::2::3", ":1", "1:", "1::2:", "12345::", "g::1", "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::8", "10.0.0.1", "fe80::1%eth0",
  ])
  func refusesMalformedText(text: String) {
    #expect(IPv6Address(text) == nil)
  }

  @Test func networksAndKinds() throws {
    let range = try #require(IPv6Network("fd00:10::136:11:0/112"))
    #expect(range.contains(IPv6Address("fd00:10::136:11:5")!))
    #expect(!range.contains(IPv6Address("fd00:10::136:12:5")!))
    #expect(IPv6Network("fd00:10::136:11:5/112") == nil, "host bits set")
    #expect(IPv6Network("fd00:10::/64")!.overlaps(range))
    #expect(IPv6Address("fe80::1")!.isLinkLocal && !IPv6Address("fec0::1")!.isLinkLocal)
    #expect(IPv6Address("ff02::1")!.isMulticast)
    #expect(IPv6Interface.linkLocalGateway.description == "fe80::1/64")
    #expect(IPAddress("fd00::5") == .v6(IPv6Address("fd00::5")!))
    #expect(IPAddress("10.0.0.5") == .v4(IPv4Address("10.0.0.5")!))
  }
}

@Suite struct DualStackConfigTests {
  static let yaml = """
    guestNetworks:
      - name: guests
        bridge: br-ex
        gateway: 10.136.11.254/24
        gateway6: fd00:10::136:11:fffe/112
        mtu: 57344
        uplinks: [production, hipersockets, intranet]
    uplinks:
      - name: production
        interface: osa10
        mode: proxy-arp
      - name: hipersockets
        interface: hsi0
        mode: routed
        address6: fd00:31:56::11/64
        peers:
          - { subnet: 10.136.12.0/24, via: 172.31.56.2, subnet6: "fd00:10::136:12:0/112", via6: "fd00:31:56::12" }
      - name: intranet
        interface: osa172
        mode: nat
    domains:
      web01:
        - { mac: "52:54:00:11:00:05", address: 10.136.11.5, address6: "fd00:10::136:11:5" }
      v6only:
        - { mac: "52:54:00:11:00:08", address6: "fd00:10::136:11:8" }

    """

  static var config: HostConfig { try! ConfigLoader.load(yaml: yaml, file: "dual.yaml") }

  @Test func loadsBothFamilies() throws {
    let config = Self.config
    #expect(config.guestNetworks[0].gateway6?.description == "fd00:10::136:11:fffe/112")
    #expect(config.uplinks[1].peers[0].subnet6?.description == "fd00:10::136:12:0/112")
    #expect(config.uplinks[1].peers[0].via6?.description == "fd00:31:56::12")
    #expect(config.domains["v6only"]?.first?.address == nil)
    #expect(config.domains["v6only"]?.first?.address6?.description == "fd00:10::136:11:8")
  }

  @Test(arguments: [
    (
      "gateway6: fd00:10::136:11:fffe/112", "gateway6: fe80::fffe/112",
      "dual.yaml:5: guestNetworks[0].gateway6: fe80::fffe is not a global or unique local address; the link-local gateway fe80::1 is added by itself"
    ),
    (
      "gateway6: fd00:10::136:11:fffe/112", "gateway6: fd00:10::fffe/48",
      "dual.yaml:5: guestNetworks[0].gateway6: prefix /48 does not fit a guest network; use /64 to /126 (a range inside the production /64 for scenario II)"
    ),
    (
      "gateway6: fd00:10::136:11:fffe/112", "gateway6: 10.136.11.254/24",
      "dual.yaml:5: guestNetworks[0].gateway6: '10.136.11.254/24' is not an IPv6 address with prefix, like fd00:10::136:11:fffe/112"
    ),
    (
      #"address6: "fd00:10::136:11:5" }"#, #"address6: "fd00:10::136:12:5" }"#,
      "dual.yaml:23: domains.web01[0].address6: fd00:10::136:12:5 is in no guest network's gateway6 subnet"
    ),
    (
      #"address6: "fd00:10::136:11:8" }"#, #"address6: "fd00:10::136:11:5" }"#,
      "dual.yaml:23: domains.web01[0].address6: fd00:10::136:11:5 is already used by domain v6only"
    ),
    (
      #"address6: "fd00:10::136:11:8" }"#, #"address6: "fe80::8" }"#,
      "dual.yaml:25: domains.v6only[0].address6: fe80::8 is link-local; a guest's routed address must be global or unique local"
    ),
    (
      #"address6: "fd00:10::136:11:8" }"#, #"address6: "ff02::8" }"#,
      "dual.yaml:25: domains.v6only[0].address6: ff02::8 is a multicast address"
    ),
    (
      #"subnet6: "fd00:10::136:12:0/112""#, #"subnet6: "fd00:10::136:11:0/112""#,
      "dual.yaml:17: uplinks[1].peers[0].subnet6: fd00:10::136:11:0/112 overlaps guest network 'guests' (fd00:10::136:11:0/112)"
    ),
    (
      #"via6: "fd00:31:56::12""#, #"via6: "fd00:31:57::12""#,
      "dual.yaml:17: uplinks[1].peers[0].via6: gateway fd00:31:57::12 is not on hsi0's subnet fd00:31:56::/64: the route would not work"
    ),
  ])
  func refusesBadIPv6(old: String, new: String, expected: String) {
    let yaml = Self.yaml.replacingOccurrences(of: old, with: new)
    #expect(yaml != Self.yaml)
    #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, file: "dual.yaml") }
    do {
      _ = try ConfigLoader.load(yaml: yaml, file: "dual.yaml")
    } catch {
      #expect("\(error)" == expected)
    }
  }

  @Test func metadataCarriesEitherFamily() throws {
    let xml = """
      <domain><name>web09</name><uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b39</uuid>
      <metadata><rh:guest xmlns:rh="urn:routed-hook:1">
        <rh:interface mac="52:54:00:11:00:09" address6="fd00:10::136:11:9"/>
      </rh:guest></metadata>
      <devices><interface type='bridge'><mac address='52:54:00:11:00:09'/><source bridge='br-ex'/></interface></devices>
      </domain>
      """
    let domain = try DomainXML.parse(Array(xml.utf8))
    let nics = try GuestResolver.managedInterfaces(of: domain, config: Self.config)
    #expect(nics.map(\.addressText) == ["fd00:10::136:11:9"])
    let bad = xml.replacingOccurrences(of: "fd00:10::136:11:9", with: "fd00:10::zz")
    // Unreadable metadata is a problem once a NIC sits on a guest network (this one does), named as before.
    #expect {
      try GuestResolver.managedInterfaces(of: try DomainXML.parse(Array(bad.utf8)), config: Self.config)
    } throws: { error in
      "\(error)" == "domain web09: metadata <rh:interface>: address6 'fd00:10::zz' of 52:54:00:11:00:09 is not an IPv6 address"
    }
    let outside = xml.replacingOccurrences(of: "fd00:10::136:11:9", with: "fd00:99::9")
    #expect {
      try GuestResolver.managedInterfaces(of: try DomainXML.parse(Array(outside.utf8)), config: Self.config)
    } throws: { error in
      "\(error)"
        == "domain web09: NIC 52:54:00:11:00:09 address6 fd00:99::9 is outside guest network 'guests' (fd00:10::136:11:0/112)"
    }
  }
}

@Suite struct DualStackPlanTests {
  let config = DualStackConfigTests.config
  let identity = DomainIdentity(name: "web01", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")
  var nic: ManagedInterface {
    ManagedInterface(
      mac: MACAddress("52:54:00:11:00:05")!, address: IPv4Address("10.136.11.5")!,
      address6: IPv6Address("fd00:10::136:11:5")!, network: "guests", bridge: "br-ex",
      uplinks: ["production", "hipersockets", "intranet"])
  }

  @Test func aDualStackGuestGetsBothFamiliesInOneList() {
    let objects = Planner.guestObjects(for: [nic], domain: identity, config: config)
    let text = objects.map(PlanText.objectText)
    for line in [
      #"element inet routed_hook guests6_guests { fd00:10::136:11:5 comment "web01" }"#,
      #"element inet routed_hook egress6 { fd00:10::136:11:5 . "osa10" comment "web01" }"#,
      #"element inet routed_hook ingress6 { fd00:10::136:11:5 . "osa10" comment "web01" }"#,
      #"element inet routed_hook ingress6 { fd00:10::136:11:5 . "hsi0" comment "web01" }"#,
      #"element ip6 routed_hook_nat masquerade6_guests { fd00:10::136:11:5 . "osa172" comment "web01" }"#,
      "route fd00:10::136:11:5/128 dev br-ex proto 151",
      "ip -6 neigh add proxy fd00:10::136:11:5 dev osa10 protocol 151",
      "route 10.136.11.5/32 dev br-ex proto 151 scope link",
    ] {
      #expect(text.contains(line), "missing \(line) in \(text)")
    }
    // A proxy entry on the proxy-arp uplink only: never on the bridge, the routed or the nat uplink.
    let neighbours = objects.compactMap { if case .neighbour(let entry) = $0 { entry.device } else { nil } }
    #expect(neighbours == ["osa10"])
  }

  @Test func theBaselineSetsIPv6OnlyWhereNeeded() {
    let withForce = Planner.baseline(
      config: config, facts: HostFacts(forceForwarding6: true, acceptRA: ["osa10": 1, "hsi0": 0]))
    let sysctls = withForce.compactMap { if case .sysctl(let setting) = $0 { "\(setting)" } else { nil } }
    for line in [
      "net.ipv6.conf.br-ex.forwarding = 1", "net.ipv6.conf.br-ex.force_forwarding = 1",
      "net.ipv6.conf.br-ex.accept_ra = 0", "net.ipv6.conf.osa10.proxy_ndp = 1",
      "net.ipv6.neigh.osa10.proxy_delay = 0", "net.ipv6.conf.osa10.accept_ra = 2",
      "net.ipv6.conf.hsi0.force_forwarding = 1",
    ] {
      #expect(sysctls.contains(line), "missing \(line)")
    }
    #expect(!sysctls.contains("net.ipv6.conf.all.forwarding = 1"), "force_forwarding leaves all alone")
    #expect(!sysctls.contains { $0.contains("br-ex.proxy_ndp") }, "never proxy_ndp on the bridge")
    #expect(!sysctls.contains { $0.contains("hsi0.accept_ra") }, "accept_ra=0 stays 0")
    #expect(!sysctls.contains { $0.contains("osa172.proxy_ndp") })
    #expect(withForce.contains(.address(interface: "br-ex", .v6(.linkLocalGateway), routeProtocol: 151)))
    #expect(
      withForce.contains(
        .route(
          OwnedRoute(
            destination: IPNetwork("fd00:10::136:12:0/112")!, gateway: IPAddress("fd00:31:56::12")!,
            device: "hsi0", routeProtocol: 151))))

    // Debian 12's 6.1 has no force_forwarding: conf/all/forwarding is the only switch.
    let older = Planner.baseline(config: config, facts: HostFacts())
    let olderSysctls = older.compactMap { if case .sysctl(let setting) = $0 { "\(setting)" } else { nil } }
    #expect(olderSysctls.first { $0.hasPrefix("net.ipv6") } == "net.ipv6.conf.all.forwarding = 1")
    #expect(!olderSysctls.contains { $0.contains("force_forwarding") })

    // host down resets what it set per interface, and leaves conf/all alone.
    let reset = Planner.baselineRemoval(config: config, facts: HostFacts()).reset
    #expect(!reset.contains { "\($0)".contains("interface: \"all\"") })
    #expect(reset.contains(.sysctl(InterfaceSysctl(interface: "br-ex", key: .acceptRA, value: 1))))
  }

  @Test func anIPv4OnlyNetworkGetsNoIPv6Objects() throws {
    var config = self.config
    config.guestNetworks[0].gateway6 = nil
    let baseline = Planner.baseline(config: config, facts: HostFacts(forceForwarding6: true))
    #expect(!baseline.contains { "\($0)".contains("ipv6") || "\($0)".contains("v6(") || "\($0)".contains("nat6") })
  }

  @Test func recordsRoundTripBothFamilies() throws {
    let objects = Planner.guestObjects(for: [nic], domain: identity, config: config)
    let record = DomainRecord(domain: identity, interfaces: [nic], objects: objects)
    let decoded = try #require(RecordJSON.record(Array(RecordJSON.text(record).utf8)))
    #expect(decoded == record)
    var v6only = nic
    v6only.address = nil
    let single = DomainRecord(domain: identity, interfaces: [v6only], objects: [])
    #expect(RecordJSON.record(Array(RecordJSON.text(single).utf8)) == single)
  }

  @Test func neighbourEntriesAreAddedAfterRoutesAndRemovedBeforeThem() throws {
    let entry = ProxyNeighbour(address: IPv6Address("fd00:10::136:11:5")!, device: "osa10", routeProtocol: 151)
    let route = OwnedRoute(destination: IPNetwork("fd00:10::136:11:5/128")!, device: "br-ex", routeProtocol: 151)
    var view = KernelView()
    view.links = [
      KernelLink(index: 2, name: "br-ex", mtu: 9000, isUp: true), KernelLink(index: 3, name: "osa10", mtu: 1500, isUp: true),
    ]
    let start = Plan(guestChanges: [.add(.route(route)), .add(.neighbour(entry))])
    let query = ApplyDecision.query(for: start)
    #expect(query.neighbours.count == 1 && query.routes == [route.destination] && query.links == ["br-ex", "osa10"])
    let added = try ApplyDecision.decide(start, view: view)
    #expect(added.steps.map(\.step) == [
      .changeRoute(RouteChange(.add, route, outputIndex: 2)), .changeNeighbour(add: true, entry, outputIndex: 3),
    ])
    #expect(added.steps.last?.undo == .changeNeighbour(add: false, entry, outputIndex: 3))

    view.neighbours = [KernelNeighbour(address: entry.address, index: 3, routeProtocol: 151)]
    view.routes = [
      KernelRouteLookup(
        destination: route.destination,
        route: KernelRoute(destination: route.destination, gateway: nil, outputIndex: 2, routeProtocol: 151)),
    ]
    let stop = Plan(guestChanges: [.remove(.route(route)), .remove(.neighbour(entry))])
    #expect(try ApplyDecision.decide(stop, view: view).steps.map(\.step) == [
      .changeNeighbour(add: false, entry, outputIndex: 3), .changeRoute(RouteChange(.delete, route, outputIndex: 2)),
    ])
    #expect(PresenceCheck.present([.neighbour(entry)], view: view) == [.neighbour(entry)])

    // Someone else's proxy entry for the address is never taken over.
    view.neighbours = [KernelNeighbour(address: entry.address, index: 3, routeProtocol: 0)]
    #expect(throws: KernelRefusal.self) { try ApplyDecision.decide(start, view: view) }
    #expect(try ApplyDecision.decide(stop, view: view).steps.map(\.step) == [
      .changeRoute(RouteChange(.delete, route, outputIndex: 2)),
    ])
  }
}

@Suite struct DualStackDoctorTests {
  typealias V6 = HostSnapshot.IPv6State

  func snapshot(_ ipv6: V6, records: [HostSnapshot.RecordedDomain] = []) -> HostSnapshot {
    HostSnapshot(
      links: [
        .init(name: "lo", index: 1, mtu: 65536, flags: ["LOOPBACK", "UP"]),
        .init(name: "br-ex", index: 2, mtu: 9000, kind: "bridge"),
        .init(name: "osa10", index: 3, mtu: 1500, kind: "veth"),
        .init(name: "hsi0", index: 4, mtu: 1500, kind: "veth"),
        .init(name: "osa172", index: 5, mtu: 1500, kind: "veth"),
      ], records: records, ipv6: ipv6)
  }

  let web01 = HostSnapshot.RecordedDomain(
    name: "web01", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c",
    interfaces: [
      ManagedInterface(
        mac: MACAddress("52:54:00:11:00:05")!, address: nil, address6: IPv6Address("fd00:10::136:11:5")!,
        network: "guests", bridge: "br-ex", uplinks: ["production"])
    ])

  func ids(_ snapshot: HostSnapshot, config: HostConfig? = DualStackConfigTests.config) -> [String] {
    Doctor.findings(snapshot, config: config).map(\.id).filter { !$0.hasPrefix("mtu") }
  }

  @Test func aHealthyDualStackHostHasNoIPv6Finding() {
    let healthy = V6(
      addresses: [.init(interface: "osa10", address: IPv6Interface("fd00:10::131:11:254/64")!, flags: ["permanent"])],
      sysctls: [
        "all": .init(forwarding: 0, forceForwarding: 0), "br-ex": .init(forwarding: 1, forceForwarding: 1, acceptRA: 0),
        "osa10": .init(forwarding: 1, forceForwarding: 1, proxyNDP: 1, acceptRA: 2),
      ],
      proxyEntries: [.init(address: IPv6Address("fd00:10::136:11:5")!, device: "osa10", routeProtocol: "151")])
    let found = ids(snapshot(healthy, records: [web01]))
    #expect(!found.contains { ["proxy-entry-on-guest-bridge", "proxy-entry-stale", "proxy-ndp-unused", "dad-failed",
      "guest-prefix-overlaps-uplink", "accept-ra-ignored", "ipv6-forwarding-global"].contains($0) }, "\(found)")
  }

  @Test func eachIPv6PitfallIsNamed() {
    let broken = V6(
      addresses: [
        .init(interface: "osa10", address: IPv6Interface("fd00:10::136:11:0/112")!, flags: ["permanent"]),
        .init(interface: "hsi0", address: IPv6Interface("fd00:31:56::11/64")!, flags: ["dynamic"]),
        .init(interface: "br-ex", address: IPv6Interface("fd00:10::136:11:fffe/112")!, flags: ["dadfailed", "permanent"]),
      ],
      sysctls: [
        "all": .init(forwarding: 1, forceForwarding: 0), "br-ex": .init(forwarding: 1, proxyNDP: 1),
        "osa10": .init(forwarding: 1, proxyNDP: 1), "hsi0": .init(forwarding: 1, acceptRA: 1),
        "osa172": .init(forwarding: 1, proxyNDP: 1),
      ],
      proxyEntries: [
        .init(address: IPv6Address("fd00:10::136:11:6")!, device: "br-ex"),
        .init(address: IPv6Address("fd00:10::136:11:7")!, device: "osa10", routeProtocol: "151"),
      ])
    let findings = Doctor.findings(snapshot(broken, records: [web01]), config: DualStackConfigTests.config)
    let byID = Dictionary(grouping: findings, by: \.id)
    #expect(byID["proxy-entry-on-guest-bridge"]?.first?.severity == .critical)
    #expect(byID["proxy-entry-stale"]?.first?.evidence["address"] == "fd00:10::136:11:7")
    #expect(byID["proxy-ndp-unused"]?.map { $0.evidence["interface"] } == ["osa172"])
    #expect(byID["dad-failed"]?.first?.summary.hasPrefix("fd00:10::136:11:fffe on br-ex failed") == true)
    #expect(byID["guest-prefix-overlaps-uplink"]?.first?.severity == .critical, "the same /112 on the uplink")
    #expect(byID["accept-ra-ignored"]?.first?.fix == "sysctl -w net.ipv6.conf.hsi0.accept_ra=2")
    #expect(byID["ipv6-forwarding-global"]?.first?.severity == .warning, "this kernel had force_forwarding")
  }

  @Test func aSnapshotSavedBeforeIPv6DecodesWithoutIt() throws {
    let old = #"{"links":[],"routes":[],"sysctls":{"ipForward":0,"all":{"forwarding":0,"proxyARP":0},"interfaces":{}},"nftables":[],"records":[],"orphans":[]}"#
    let decoded = try JSONDecoder().decode(HostSnapshot.self, from: Data(old.utf8))
    #expect(decoded.ipv6 == nil)
    #expect(Doctor.findings(decoded, config: nil).isEmpty)
  }
}
