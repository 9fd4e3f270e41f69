import Testing

@testable import LabKit

/// `init:` rows: parsed and validated like the others, and compared by what a config decides, not by names.
@Suite struct InitExpectationTests {
  /// The seed lab's LPAR 11 config, as written in lab/seed.yaml (the admin's names).
  static let written = """
    routeProtocol: 151
    guestNetworks:
      - { name: guests, bridge: br-ex, gateway: 10.136.11.254/24, mtu: 57344, uplinks: [production, hipersockets, intranet] }
    uplinks:
      - { name: production, interface: osa10, mode: proxy-arp }
      - name: hipersockets
        interface: hsi0
        mode: routed
        peers:
          - { subnet: 10.136.12.0/24, via: 172.31.56.2 }
      - { name: intranet, interface: osa172, mode: nat }
    """

  /// What `routed-hook init` writes on that host: interface names, comments, the link's own address.
  static let guessed = """
    # routed-hook config for lpar11, written by `routed-hook init` from what this host shows.
    routeProtocol: 151
    guestNetworks:
      - name: br-ex
        bridge: br-ex  # OVS bridge, ports vnet0, vnet1, none physical
        gateway: 10.136.11.254/24  # br-ex's address
        mtu: 57344  # br-ex's MTU
        uplinks: [osa10, hsi0, osa172]  # check: the uplinks its guests may use
    uplinks:
      - name: osa10
        interface: osa10  # 10.131.11.254/8, MTU 1500
        mode: proxy-arp  # check: 10.0.0.0/8 holds the guests' 10.136.11.254/24
      - name: hsi0
        interface: hsi0  # 172.31.56.1/24, MTU 57344
        mode: routed  # check: other hosts' subnets are routed via this link
        address: 172.31.56.1/24
        peers:  # check: routes on this host; each is another host's guest subnet
          - { subnet: 10.136.12.0/24, via: 172.31.56.2 }
      - name: osa172
        interface: osa172  # 172.18.0.11/15, MTU 1500
        mode: nat  # check: the default route: guests go out masqueraded, nothing gets in
    """

  @Test func theSameDecisionsUnderOtherNamesAreEqual() throws {
    let essentials = try ExpectationRunner.essentials(Self.guessed)
    #expect(essentials == (try ExpectationRunner.essentials(Self.written)))
    #expect(
      essentials == [
        "guest network br-ex gateway 10.136.11.254/24 mtu 57344 uplinks hsi0,osa10,osa172",
        "uplink hsi0 routed layer 2 peers 10.136.12.0/24 via 172.31.56.2",
        "uplink osa10 proxy-arp layer 2",
        "uplink osa172 nat layer 2",
      ])
  }

  @Test func aDifferentModeLayerOrPeerIsADifference() throws {
    let written = try ExpectationRunner.essentials(Self.written)
    for (from, to) in [
      ("mode: proxy-arp  #", "mode: routed  #"),
      ("mode: routed  #", "mode: routed\n    layer: 3  #"),
      ("via: 172.31.56.2 }", "via: 172.31.56.3 }"),
      ("mtu: 57344  #", "mtu: 1500  #"),
      ("uplinks: [osa10, hsi0, osa172]", "uplinks: [osa10, hsi0]"),
    ] {
      #expect(Self.guessed.contains(from))
      let changed = try ExpectationRunner.essentials(Self.guessed.replacingOccurrences(of: from, with: to))
      #expect(changed != written, "\(to)")
    }
  }

  @Test func parsedAndCheckedAgainstTheTopology() throws {
    let row = "      - doctor: { host: kvm2, finding: forward-unfiltered }"
    let topology = try TopologyParser.parse(
      featureTopology.replacingOccurrences(of: row, with: row + "\n      - init: { host: kvm1 }"))
    #expect(topology.tests[0].expectations[3].kind == .initConfig(host: "kvm1"))
    #expect(topology.tests[0].expectations[3].name == "routed-hook init on kvm1: check accepts it, modes as the lab's config")
    expectParseError(
      in: featureTopology,
      (row, row + "\n      - init: { host: prod }", "topology.yaml:35:23: tests[0].expect[3].init.host: unknown host 'prod'"),
      index: 0)
  }
}
