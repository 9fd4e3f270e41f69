import Foundation
@testable import RoutedCore
import Testing

@Suite struct BGPConfigTests {
  /// A fleet host: no static peers, guests of 10.136.11.0/24 shared over BGP on hsi0.
  static let fleet = """
    guestNetworks:
      - name: guests
        bridge: br-ex
        gateway: 10.136.11.254/24
        uplinks: [production, hipersockets]
    uplinks:
      - name: production
        interface: osa10
        mode: proxy-arp
      - name: hipersockets
        interface: hsi0
        mode: routed
        address: 172.31.56.11/24
    bgp:
      asn: 65000
      uplink: hipersockets
      prefixes: [10.136.0.0/16]
      neighbours: [172.31.56.12, 172.31.56.13]

    """

  @Test func loadsTheSectionWithItsDefaults() throws {
    let bgp = try #require(try ConfigLoader.load(yaml: Self.fleet, file: "c.yaml").bgp)
    #expect(bgp.asn == 65000)
    #expect(bgp.uplink == "hipersockets")
    #expect(bgp.prefixes == [.v4(IPv4Network("10.136.0.0/16")!)])
    #expect(bgp.neighbours.map(\.address.description) == ["172.31.56.12", "172.31.56.13"])
    #expect(bgp.neighbours.allSatisfy { $0.role == .peer && $0.asn == nil })
    #expect(bgp.holdTime == 9)
    #expect(bgp.bfd == BFDSettings(interval: 100, multiplier: 3))
    #expect(bgp.restartTime == 120)
  }

  @Test func readsReflectorsClientsAndKnobs() throws {
    let yaml = Self.fleet.replacingOccurrences(
      of: "  neighbours: [172.31.56.12, 172.31.56.13]\n",
      with: """
          routerId: 10.0.0.11
          routeReflectors: [172.31.56.1, { address: 172.31.56.2, asn: 65000 }]
          holdTime: 30
          bfd: { interval: 50, multiplier: 5 }
          gracefulRestart: false

        """)
    let bgp = try #require(try ConfigLoader.load(yaml: yaml, file: "c.yaml").bgp)
    #expect(bgp.routerID == IPv4Address("10.0.0.11"))
    #expect(bgp.neighbours.map(\.role) == [.reflector, .reflector])
    #expect(bgp.neighbours[1].asn == 65000)
    #expect(bgp.holdTime == 30)
    #expect(bgp.bfd == BFDSettings(interval: 50, multiplier: 5))
    #expect(bgp.restartTime == nil)
  }

  static func replacing(_ old: String, _ new: String) -> String {
    precondition(fleet.contains(old), old)
    return fleet.replacingOccurrences(of: old, with: new)
  }

  /// Each bad `bgp:` section and the exact error: file, line, field, message.
  @Test(arguments: [
    (replacing("asn: 65000", "asn: 0"), "c.yaml:15: bgp.asn: 0 is out of range 1–4294967295"),
    (
      replacing("asn: 65000", "asn: 23456"),
      "c.yaml:15: bgp.asn: 23456 is AS_TRANS (RFC 6793) and cannot be used"
    ),
    (replacing("  asn: 65000\n", ""), "c.yaml:15: bgp: asn is required"),
    (
      replacing("asn: 65000", "asn: 65000\n  peers: []"),
      "c.yaml:16: bgp.peers: unknown field (known: asn, bfd, clients, gracefulRestart, holdTime, neighbours, prefixes, routeReflectors, routerId, uplink)"
    ),
    (replacing("uplink: hipersockets", "uplink: hsi"), "c.yaml:16: bgp.uplink: no uplink is named 'hsi'"),
    (
      replacing("uplink: hipersockets", "uplink: production"),
      "c.yaml:16: bgp.uplink: uplink 'production' is mode proxy-arp; BGP runs over a routed link to the other hosts (mode: routed)"
    ),
    (
      replacing("    address: 172.31.56.11/24\n", ""),
      "c.yaml:15: bgp.uplink: uplink 'hipersockets' needs its address (uplinks[].address): it is the sessions' source address"
    ),
    (
      replacing("prefixes: [10.136.0.0/16]", "prefixes: [10.136.12.0/24]"),
      "c.yaml:4: guestNetworks[0].gateway: subnet 10.136.11.0/24 is outside bgp.prefixes: its guests would never be announced"
    ),
    (
      replacing("prefixes: [10.136.0.0/16]", "prefixes: [10.136.0.0/16, 10.136.12.0/24]"),
      "c.yaml:17: bgp.prefixes[1]: 10.136.12.0/24 overlaps bgp.prefixes[0] (10.136.0.0/16)"
    ),
    (
      replacing("prefixes: [10.136.0.0/16]", "prefixes: [10.136.0.0/16, 2001:db8::zz/32]"),
      "c.yaml:17: bgp.prefixes[1]: '2001:db8::zz/32' is not an IPv4 or IPv6 subnet, like 10.136.0.0/16 or fd00:136::/48"
    ),
    (
      replacing("prefixes: [10.136.0.0/16]", "prefixes: [10.136.0.0/16, 2001:db8::/32]"),
      "c.yaml:17: bgp.prefixes[1]: 2001:db8::/32 is IPv6, but no neighbour has an IPv6 address: IPv6 guest routes travel on IPv6 sessions (add the other hosts' addresses on the uplink's address6)"
    ),
    (
      replacing("172.31.56.13]", "fd00:56::13]"),
      "c.yaml:18: bgp.neighbours[1]: fd00:56::13 is an IPv6 session, but bgp.prefixes has no IPv6 prefix for it to carry"
    ),
    (
      replacing(
        "address: 172.31.56.11/24",
        "address: 172.31.56.11/24\n    peers: [{ subnet: 10.136.12.0/24, via: 172.31.56.12 }]"),
      "c.yaml:14: uplinks[1].peers[0].subnet: 10.136.12.0/24 is a static peer route inside bgp.prefixes (10.136.0.0/16): one subnet is routed either by static peers or by BGP, not both"
    ),
    (
      replacing("neighbours: [172.31.56.12, 172.31.56.13]", "neighbours: []"),
      "c.yaml:18: bgp.neighbours: no neighbours: give neighbours (full mesh), routeReflectors or clients"
    ),
    (
      replacing("172.31.56.13]", "172.31.56.12]"),
      "c.yaml:18: bgp.neighbours[1]: 172.31.56.12 is already bgp.neighbours[0]"
    ),
    (
      replacing("172.31.56.13]", "172.31.56.11]"),
      "c.yaml:18: bgp.neighbours[1]: 172.31.56.11 is this host's own address on hsi0"
    ),
    (
      replacing("172.31.56.13]", "172.31.57.13]"),
      "c.yaml:18: bgp.neighbours[1]: 172.31.57.13 is not on hsi0's subnet 172.31.56.0/24: sessions run directly over the link"
    ),
    (
      replacing(
        "neighbours: [172.31.56.12, 172.31.56.13]",
        "routeReflectors: [172.31.56.1]\n  clients: [172.31.56.12]"),
      "c.yaml:19: bgp.clients: a host is either a route reflector (clients:) or a client of reflectors (routeReflectors:), not both"
    ),
    (
      replacing(
        "neighbours: [172.31.56.12, 172.31.56.13]", "routeReflectors: [{ address: 172.31.56.1, asn: 65001 }]"),
      "c.yaml:18: bgp.routeReflectors[0]: AS 65001 differs from bgp.asn 65000: route reflection is within one AS"
    ),
    (
      replacing("asn: 65000", "asn: 65000\n  holdTime: 2"),
      "c.yaml:16: bgp.holdTime: 2 is out of range 3–65535"
    ),
    (
      replacing("asn: 65000", "asn: 65000\n  bfd: sometimes"),
      "c.yaml:16: bgp.bfd: expected true, false or a mapping"
    ),
    (
      replacing("asn: 65000", "asn: 65000\n  holdTime: 3\n  bfd: { interval: 1000, multiplier: 3 }"),
      "c.yaml:17: bgp.bfd: BFD detects a failure after 3000 ms, not sooner than the hold time (3 s)"
    ),
    (
      replacing("asn: 65000", "asn: 65000\n  gracefulRestart: { restartTime: 5000 }"),
      "c.yaml:16: bgp.gracefulRestart.restartTime: 5000 is out of range 1–4095"
    ),
  ])
  func refusesBadSections(yaml: String, expected: String) {
    expectConfigError(yaml, expected)
  }

  /// The fleet host with IPv6 guests: a /64 on the bridge, address6 on the uplink, an IPv6 prefix and an
  /// IPv6 session next to the IPv4 one.
  static let dual = replacing("gateway: 10.136.11.254/24\n", "gateway: 10.136.11.254/24\n    gateway6: fd00:136:11::fffe/64\n")
    .replacingOccurrences(of: "address: 172.31.56.11/24\n", with: "address: 172.31.56.11/24\n    address6: fd00:56::11/64\n")
    .replacingOccurrences(of: "prefixes: [10.136.0.0/16]", with: "prefixes: [10.136.0.0/16, fd00:136::/32]")
    .replacingOccurrences(of: "neighbours: [172.31.56.12, 172.31.56.13]", with: "neighbours: [172.31.56.12, fd00:56::12]")

  static func replacingDual(_ old: String, _ new: String) -> String {
    precondition(dual.contains(old), old)
    return dual.replacingOccurrences(of: old, with: new)
  }

  @Test func loadsBothFamilies() throws {
    let bgp = try #require(try ConfigLoader.load(yaml: Self.dual, file: "c.yaml").bgp)
    #expect(bgp.prefixes4 == [IPv4Network("10.136.0.0/16")!])
    #expect(bgp.prefixes6 == [IPv6Network("fd00:136::/32")!])
    #expect(bgp.neighbours.map(\.address) == [IPAddress("172.31.56.12")!, IPAddress("fd00:56::12")!])
  }

  /// The IPv6 half's rules, each with its exact error.
  @Test(arguments: [
    (
      replacingDual("    address6: fd00:56::11/64\n", ""),
      "c.yaml:19: bgp.neighbours[1]: fd00:56::12 is an IPv6 session, but uplink 'hipersockets' has no address6 (uplinks[].address6): it is the IPv6 sessions' source address"
    ),
    (
      replacingDual("fd00:56::12]", "fd00:57::12]"),
      "c.yaml:20: bgp.neighbours[1]: fd00:57::12 is not on hsi0's subnet fd00:56::/64: sessions run directly over the link"
    ),
    (
      replacingDual("fd00:56::12]", "fd00:56::11]"),
      "c.yaml:20: bgp.neighbours[1]: fd00:56::11 is this host's own address on hsi0"
    ),
    (
      replacingDual("fd00:56::12]", "fe80::12]"),
      "c.yaml:20: bgp.neighbours[1]: fe80::12 is link-local; give the neighbour's global or unique local address on the link"
    ),
    (
      replacingDual("fd00:136::/32]", "fd00:137::/32]"),
      "c.yaml:5: guestNetworks[0].gateway6: subnet fd00:136:11::/64 is outside bgp.prefixes' IPv6 prefixes: its guests would never be announced"
    ),
    (
      replacingDual(
        "address6: fd00:56::11/64",
        "address6: fd00:56::11/64\n    peers: [{ subnet: 10.137.12.0/24, via: 172.31.56.12, subnet6: fd00:136:12::/64, via6: fd00:56::12 }]"),
      "c.yaml:16: uplinks[1].peers[0].subnet6: fd00:136:12::/64 is a static peer route inside bgp.prefixes (fd00:136::/32): one subnet is routed either by static peers or by BGP, not both"
    ),
  ])
  func refusesBadIPv6Sections(yaml: String, expected: String) {
    expectConfigError(yaml, expected)
  }

  /// A guest from another host of the fleet (a migration) keeps its address here; an address outside the
  /// fleet's prefixes is still refused.
  @Test func acceptsVisitorsFromTheFleetOnly() throws {
    let config = try ConfigLoader.load(yaml: Self.fleet, file: "c.yaml")
    func domain(_ address: String) throws -> DomainDescription {
      try DomainXML.parse(
        Array(
          """
          <domain type='kvm'><name>web07</name><uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid>
          <metadata><rh:guest xmlns:rh="urn:routed-hook:1"><rh:interface mac="52:54:00:12:00:07" address="\(address)"/></rh:guest></metadata>
          <devices><interface type='bridge'><mac address='52:54:00:12:00:07'/><source bridge='br-ex'/><target dev='vnet0'/></interface></devices></domain>
          """.utf8))
    }
    let visitor = try GuestResolver.managedInterfaces(of: try domain("10.136.12.7"), config: config)
    #expect(visitor.map(\.addressText) == ["10.136.12.7"])
    #expect(throws: DomainError.self) {
      try GuestResolver.managedInterfaces(of: try domain("10.137.12.7"), config: config)
    }
    // The fleet's network and broadcast addresses are no guest's (issue 11, defect 10).
    #expect(
      throws: DomainError(
        "domain web07: NIC 52:54:00:12:00:07 address 10.136.255.255 is the network or broadcast address of 10.136.0.0/16, the subnet it visits from"
      )
    ) {
      try GuestResolver.managedInterfaces(of: try domain("10.136.255.255"), config: config)
    }
    // The same for IPv6 on a dual-stack fleet host: fd00:136:12::7 came from LPAR 12's /64.
    let dual = try ConfigLoader.load(yaml: Self.dual, file: "c.yaml")
    func domain6(_ address6: String) throws -> DomainDescription {
      try domain("10.136.11.7\" address6=\"\(address6)")
    }
    let visitor6 = try GuestResolver.managedInterfaces(of: try domain6("fd00:136:12::7"), config: dual)
    #expect(visitor6.map(\.address6) == [IPv6Address("fd00:136:12::7")])
    #expect(throws: DomainError.self) {
      try GuestResolver.managedInterfaces(of: try domain6("fd00:137:12::7"), config: dual)
    }
  }
}

/// doctor's `moved-guest-unanswered`: the bridge's proxy ARP is what answers for a guest that moved away.
@Suite struct MovedGuestCheckTests {
  let config = try! ConfigLoader.load(yaml: BGPConfigTests.fleet, file: "c.yaml")

  func snapshot(proxyARP: Int, forwarding: Int) -> HostSnapshot {
    HostSnapshot(
      links: [
        HostSnapshot.Link(
          name: "br-ex", index: 3, mtu: 1500, flags: ["UP"], addresses: [IPv4Interface("10.136.11.254/24")!]),
        HostSnapshot.Link(
          name: "hsi0", index: 4, mtu: 1500, flags: ["UP"], addresses: [IPv4Interface("172.31.56.11/24")!]),
      ],
      routes: [
        HostSnapshot.Route(
          destination: IPv4Network("10.136.11.6/32")!, gateway: IPv4Address("172.31.56.12"),
          devices: ["hsi0"],
          routeProtocol: "bird", metric: 32),
        HostSnapshot.Route(
          destination: IPv4Network("10.136.12.5/32")!, gateway: IPv4Address("172.31.56.12"),
          devices: ["hsi0"],
          routeProtocol: "bird", metric: 32),
      ],
      sysctls: HostSnapshot.Sysctls(
        ipForward: 1,
        interfaces: [
          "br-ex": .init(forwarding: forwarding, proxyARP: proxyARP),
          "hsi0": .init(forwarding: 1, proxyARP: 0),
        ]))
  }

  @Test func namesABridgeThatCannotAnswerForAMovedGuest() throws {
    let findings = Doctor.findings(snapshot(proxyARP: 0, forwarding: 1), config: config).filter {
      $0.id == "moved-guest-unanswered"
    }
    let finding = try #require(findings.first)
    #expect(findings.count == 1)
    #expect(finding.severity == .critical)
    #expect(
      finding.summary
        == "br-ex has proxy_arp off: its guests get no ARP answer for guests on other hosts or for a guest that moved away (1 of its addresses now run elsewhere)"
    )
    #expect(
      finding.evidence["routed elsewhere"] == "10.136.11.6/32 via 172.31.56.12 dev hsi0 proto bird metric 32")
    #expect(finding.fix.hasPrefix("sysctl -w net.ipv4.conf.br-ex.proxy_arp=1"))
  }

  @Test func saysNothingWhenTheBridgeProxiesOrTheHostHasNoBGP() throws {
    #expect(
      !Doctor.findings(snapshot(proxyARP: 1, forwarding: 1), config: config).contains {
        $0.id == "moved-guest-unanswered"
      })
    var staticHost = config
    staticHost.bgp = nil
    #expect(
      !Doctor.findings(snapshot(proxyARP: 0, forwarding: 0), config: staticHost).contains {
        $0.id == "moved-guest-unanswered"
      })
  }
}
