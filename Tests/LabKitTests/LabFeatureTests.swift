import Foundation
import Testing

@testable import LabKit

/// Issue 5 and 6 features in one valid topology: a layer-3 segment, two cards of one host on one LAN, a
/// libvirt network, a hand-built host with an intent and setup, hotplug, exec, and the new expectation kinds.
let featureTopology = """
  lab: t
  segments:
    - { name: lan, subnet: 10.0.0.0/8 }
    - { name: hsi, subnet: 172.31.56.0/24, arp: false }
  hosts:
    - name: kvm1
      interfaces:
        - { name: osa10, segment: lan, address: 10.131.1.254/8 }
        - { name: osa2, segment: lan, address: 10.131.1.250/8 }
        - { name: hsi0, segment: hsi, address: 172.31.56.1/24 }
      hook:
        guestNetworks:
          - { name: guests, bridge: br-ex, libvirtNetwork: ovs-guests, gateway: 10.136.1.254/24, mtu: 1500, uplinks: [] }
        uplinks: []
      guests:
        - { name: g1, address: 10.136.1.5/8, gateway: 10.136.1.254 }
    - name: kvm2
      interfaces:
        - { name: hsi0, segment: hsi, address: 172.31.56.2/24 }
      intent: { guestNetworks: [], uplinks: [] }
      setup: [sysctl -qw net.ipv4.ip_forward=1]
  machines:
    - name: prod
      interfaces: [{ name: eth0, segment: lan, address: 10.0.0.10/8 }]
  tests:
    - phase: p
      do:
        - { hotplug: g1, mac: "52:54:00:01:01:05", address: 10.136.1.15/32 }
        - { unplug: g1, mac: "52:54:00:01:01:05" }
        - { exec: kvm2, run: ip route }
      expect:
        - arp: { from: prod, for: g1, answeredBy: [kvm1.osa10, kvm1.osa2] }
        - gone: { host: kvm1, address: 10.136.1.15 }
        - doctor: { host: kvm2, finding: forward-unfiltered }
        - refused: { host: kvm2, peer: kvm1, message: "no route" }
        - drops: { from: g1, to: prod, size: 4000, on: kvm1.osa10 }
        - reach: { from: g1, to: prod, size: 4000, probes: [ping] }
  """

@Suite struct LabFeatureTests {
  @Test func parsesTheNewFields() throws {
    let topology = try TopologyParser.parse(featureTopology)
    #expect(topology.segment(named: "hsi")?.arp == false)
    #expect(topology.segment(named: "lan")?.arp == true)
    let kvm1 = try #require(topology.host(named: "kvm1"))
    #expect(kvm1.libvirtNetworks == [LibvirtNetwork(name: "ovs-guests", bridge: "br-ex")])
    #expect(kvm1.intent == nil)
    let kvm2 = try #require(topology.host(named: "kvm2"))
    #expect(kvm2.hook == nil)
    #expect(kvm2.config == kvm2.intent)
    #expect(kvm2.setup == ["sysctl -qw net.ipv4.ip_forward=1"])
    #expect(
      topology.tests[0].actions == [
        .hotplug(guest: "g1", mac: LabMAC("52:54:00:01:01:05")!, address: .init("10.136.1.15/32")!),
        .unplug(guest: "g1", mac: LabMAC("52:54:00:01:01:05")!),
        .exec(node: "kvm2", command: "ip route"),
      ])
    let kinds = topology.tests[0].expectations.map(\.kind)
    #expect(
      kinds[0]
        == .arp(
          from: "prod", target: .node("g1"),
          answeredBy: [InterfaceRef("kvm1.osa10")!, InterfaceRef("kvm1.osa2")!]))
    #expect(kinds[1] == .goneAddress(host: "kvm1", address: .init("10.136.1.15")!))
    #expect(kinds[2] == .doctor(host: "kvm2", finding: "forward-unfiltered", lacks: [], critical: nil))
    #expect(kinds[3] == .refused(host: "kvm2", guest: nil, config: nil, peer: "kvm1", message: "no route"))
    #expect(kinds[4] == .drops(from: "g1", to: .node("prod"), size: 4000, on: [InterfaceRef("kvm1.osa10")!]))
    #expect(
      kinds[5]
        == .reach(from: "g1", to: .node("prod"), probes: [.ping], port: nil, expected: true, size: 4000))
  }

  @Test func migrateActionWithHold() throws {
    let text = featureTopology.replacingOccurrences(
      of: "    intent: { guestNetworks: [], uplinks: [] }",
      with: "    hook: { guestNetworks: [], uplinks: [] }"
    ).replacingOccurrences(
      of: "      - { exec: kvm2, run: ip route }", with: "      - { migrate: g1, to: kvm2, hold: true }")
    let topology = try TopologyParser.parse(text)
    #expect(topology.tests[0].actions[2] == .migrate(guest: "g1", to: "kvm2", hold: true))
    #expect(topology.tests[0].actions[2].description == "migrate g1 to kvm2, hold in the overlap window")
  }

  @Test func secondCardOnOneSegmentGetsItsOwnSegmentEnd() throws {
    let plan = BuildPlan(topology: try TopologyParser.parse(featureTopology), names: LabNames(lab: "t"))
    #expect(
      plan.segmentLinks.map(\.batchLine).prefix(2) == [
        "link add osa10 netns rl-t-kvm1 type veth peer name kvm1 netns rl-t-lan",
        "link add osa2 netns rl-t-kvm1 type veth peer name kvm1.2 netns rl-t-lan",
      ])
    #expect(plan.script(for: "lan").contains("link set kvm1.2 mtu 1500 master lan up"))
    #expect(plan.script(for: "kvm1").contains("link set hsi0 mtu 1500 arp off up"))
    #expect(plan.script(for: "kvm1").contains("ethtool -K osa2 tx off >/dev/null"))
  }

  @Test func layerThreeSegmentsGetPermanentNeighbours() throws {
    let plan = BuildPlan(topology: try TopologyParser.parse(featureTopology), names: LabNames(lab: "t"))
    let lines = plan.noARPNeighbourLines { node, _ in
      node == "kvm1" ? "02:00:00:00:00:01" : "02:00:00:00:00:02"
    }
    #expect(
      lines == [
        "kvm1": ["neigh replace 172.31.56.2 lladdr 02:00:00:00:00:02 dev hsi0 nud permanent"],
        "kvm2": ["neigh replace 172.31.56.1 lladdr 02:00:00:00:00:01 dev hsi0 nud permanent"],
      ])
  }

  static let errorCases: [ParseErrorCase] = [
    (
      "{ name: hsi, subnet: 172.31.56.0/24, arp: false }",
      "{ name: hsi, subnet: 172.31.56.0/24, arp: nope }",
      "topology.yaml:4:47: segments[1].arp: expected true or false, not 'nope'"
    ),
    (
      "  - name: kvm1\n",
      "  - name: kvm1-long-name\n",
      "topology.yaml:9:32: hosts[0].interfaces[1].segment: a second interface on segment lan names its segment end 'kvm1-long-name.2', over 15 characters: shorten the node name"
    ),
    (
      "    intent: { guestNetworks: [], uplinks: [] }",
      "    intent: { guestNetworks: [], uplinks: [] }\n    hook: { uplinks: [] }",
      "topology.yaml:20:13: hosts[1].intent: a host runs routed-hook (hook:) or was built by hand (intent:), not both"
    ),
    (
      "bridge: br-ex, libvirtNetwork",
      "bridge: br-lan, libvirtNetwork",
      "topology.yaml:12:7: hosts[0].hook: libvirt network ovs-guests uses bridge br-lan, but the host's switch is br-ex"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { exec: kvm2, mac: ip route }",
      "topology.yaml:30:28: tests[0].do[2].mac: exec takes no 'mac'"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { exec: kvm3, run: ip route }",
      "topology.yaml:30:17: tests[0].do[2].exec: unknown node 'kvm3'"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { migrate: g1 }",
      "topology.yaml:30:9: tests[0].do[2]: missing required field 'to'"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { migrate: g1, to: kvm2, stop: g1 }",
      "topology.yaml:30:9: tests[0].do[2]: an action is exactly one of start: GUEST, stop: GUEST, shutdown: GUEST, restartDaemon: HOST, crashDaemon: HOST, killDrill: GUEST, migrate: GUEST, hotplug: GUEST, unplug: GUEST, exec: NODE, reconcile: HOST, killBird: HOST, stopBird: HOST, startBird: HOST, damage: HOST, flushStorm: HOST, killWatch: HOST, startWatch: HOST"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { damage: kvm1, run: nft flush ruleset }",
      "topology.yaml:30:19: tests[0].do[2].damage: 'kvm1' is not a host with watch: true"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { damage: kvm1, run: nft flush ruleset, recreate: osa10 }",
      "topology.yaml:30:9: tests[0].do[2]: damage: HOST takes exactly one of run: COMMAND or recreate: INTERFACE"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { flushStorm: kvm1, run: x }",
      "topology.yaml:30:34: tests[0].do[2].run: flushStorm takes no 'run'"
    ),
    (
      "    setup: [sysctl -qw net.ipv4.ip_forward=1]",
      "    setup: [sysctl -qw net.ipv4.ip_forward=1]\n    watch: true",
      "topology.yaml:22:12: hosts[1].watch: watch: true runs routed-hook watch with the host's hook: config; kvm2 has none"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { killBird: kvm1 }",
      "topology.yaml:30:21: tests[0].do[2].killBird: kvm1 runs no BIRD: its hook config has no bgp: section"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { migrate: g1, to: kvm2, measure: [prod, nobody] }",
      "topology.yaml:30:50: tests[0].do[2].measure[1]: unknown node 'nobody'"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { migrate: g1, to: kvm2, hold: true, measure: [prod] }",
      "topology.yaml:30:55: tests[0].do[2].measure: measure: needs the whole migration; it cannot hold in the overlap window"
    ),
    (
      "      - doctor: { host: kvm2, finding: forward-unfiltered }",
      "      - bgp: { host: kvm2, learns: [g1] }",
      "topology.yaml:34:22: tests[0].expect[2].bgp.host: kvm2 runs no BIRD: its hook config has no bgp: section"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { migrate: g1, to: prod }",
      "topology.yaml:30:28: tests[0].do[2].to: unknown host 'prod'"
    ),
    (
      "      - { exec: kvm2, run: ip route }",
      "      - { migrate: g1, to: kvm2 }",
      "topology.yaml:30:28: tests[0].do[2].to: host 'kvm2' has no hook config"
    ),
    (
      "{ hotplug: g1, mac: \"52:54:00:01:01:05\", address: 10.136.1.15/32 }",
      "{ hotplug: g1, mac: \"52:54:00:88:01:05\", address: 10.136.1.15/32 }",
      "topology.yaml:28:29: tests[0].do[0].mac: 52:54:00:88:01:05 is already g1's NIC"
    ),
    (
      "      - doctor: { host: kvm2, finding: forward-unfiltered }",
      "      - doctor: { host: kvm2 }",
      "topology.yaml:34:17: tests[0].expect[2].doctor: a doctor expectation needs finding, lacks or critical"
    ),
    (
      "      - refused: { host: kvm2, peer: kvm1, message: \"no route\" }",
      "      - refused: { host: kvm2, guest: g1, peer: kvm1, message: \"no route\" }",
      "topology.yaml:35:49: tests[0].expect[3].refused.peer: a guest start is checked on one host; peer belongs to a config check"
    ),
    (
      "      - refused: { host: kvm2, peer: kvm1, message: \"no route\" }",
      "      - refused: { host: prod, message: \"no route\" }",
      "topology.yaml:35:26: tests[0].expect[3].refused.host: unknown host 'prod'"
    ),
    (
      "      - gone: { host: kvm1, address: 10.136.1.15 }",
      "      - gone: { host: kvm1, address: 10.136.1.15/32 }",
      "topology.yaml:33:38: tests[0].expect[1].gone.address: '10.136.1.15/32' is not an IPv4 address (a.b.c.d)"
    ),
    (
      "on: kvm1.osa10 }",
      "on: kvm1.osa9 }",
      "topology.yaml:36:54: tests[0].expect[4].drops.on: node 'kvm1' has no interface 'osa9' (it has: osa10, osa2, hsi0, br-ex)"
    ),
  ]

  @Test(arguments: 0..<errorCases.count)
  func reportsLineAndField(_ index: Int) {
    expectParseError(in: featureTopology, Self.errorCases[index], index: index)
  }

  @Test(arguments: [
    "seed.yaml", "seed-l3.yaml", "migration.yaml", "pitfalls/1-shared-subnet.yaml",
    "pitfalls/2-unfiltered-proxy-arp.yaml", "pitfalls/3-mtu-attached.yaml", "pitfalls/4-two-paths.yaml",
    "pitfalls/5-scope-creep.yaml", "libvirt.yaml", "fleet.yaml", "fleet-rr.yaml", "bench.yaml",
  ])
  func labFilesAreValid(_ name: String) throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../lab/\(name)"
    ).standardized.path
    let topology = try TopologyParser.load(path: path)
    #expect(!topology.tests.isEmpty)
  }
}
