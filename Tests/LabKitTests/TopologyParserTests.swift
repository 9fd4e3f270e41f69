import Foundation
import RoutedCore
import Testing

@testable import LabKit

/// A small valid topology; each error case below breaks one line of it.
let minimalTopology = """
  lab: t
  segments:
    - { name: lan, subnet: 10.0.0.0/8 }
  hosts:
    - name: kvm1
      switch: { kind: ovs, mtu: 9000 }
      interfaces:
        - { name: osa10, segment: lan, address: 10.131.1.254/8 }
      guests:
        - { name: g1, address: 10.136.1.5/8, gateway: 10.136.1.254 }
  machines:
    - name: prod
      interfaces: [{ name: eth0, segment: lan, address: 10.0.0.10/8 }]
  tests:
    - phase: p
      expect:
        - reach: { from: prod, to: g1 }
  """

@Suite struct TopologyParserTests {
  @Test func parsesTheMinimalTopology() throws {
    let topology = try TopologyParser.parse(minimalTopology)
    #expect(topology.lab == "t")
    #expect(topology.segments == [Segment(name: "lan", subnet: .init("10.0.0.0/8")!)])
    let host = try #require(topology.host(named: "kvm1"))
    #expect(host.switchConfig == Switch(kind: .ovs, bridge: "br-ex", mtu: 9000))
    let guest = try #require(topology.guest(named: "g1"))
    #expect(guest.mtu == 9000)
    #expect(guest.tap == "vnet0")
    #expect(guest.mac.description == "52:54:00:88:01:05")
    #expect(topology.nodeNames == ["lan", "kvm1", "g1", "prod"])
    #expect(
      topology.tests[0].expectations[0].kind
        == .reach(from: "prod", to: .node("g1"), probes: [.ping, .tcp], port: nil, expected: true))
  }

  @Test func aSwitchOverrideReplacesEveryHostsSwitchAndIsRecordedAsItsOptions() throws {
    let override = try #require(try SwitchOverride(kind: "linux-bridge", bridgeNetfilter: "on"))
    #expect(override.description == "--switch linux-bridge --bridge-netfilter on")
    #expect(try SwitchOverride(recorded: override.description) == override)
    #expect(try SwitchOverride(kind: nil, bridgeNetfilter: nil) == nil)
    let topology = try TopologyParser.parse(minimalTopology, override: override)
    #expect(topology.switchOverride == override)
    #expect(
      topology.hosts[0].switchConfig
        == Switch(kind: .linuxBridge, bridge: "br-ex", mtu: 9000, bridgeNetfilter: true))
    // Back to OVS: a file's Linux-bridge setting is dropped, an explicit one refused.
    let linux = minimalTopology.replacingOccurrences(
      of: "kind: ovs, mtu: 9000", with: "kind: linux-bridge, mtu: 9000, bridgeNetfilter: false")
    #expect(try TopologyParser.parse(linux).hosts[0].switchConfig.bridgeNetfilter == false)
    let ovs = try TopologyParser.parse(linux, override: SwitchOverride(kind: "ovs", bridgeNetfilter: nil))
    #expect(ovs.hosts[0].switchConfig == Switch(kind: .ovs, bridge: "br-ex", mtu: 9000))
    #expect {
      _ = try TopologyParser.parse(linux, override: SwitchOverride(kind: "ovs", bridgeNetfilter: "on"))
    } throws: { error in
      "\(error)"
        == "topology.yaml:6:13: hosts[0].switch: bridgeNetfilter is about a Linux bridge (kind: linux-bridge); "
        + "Open vSwitch frames never reach it (switch from --switch ovs --bridge-netfilter on)"
    }
    #expect(throws: LabError.self) { try SwitchOverride(kind: "vde", bridgeNetfilter: nil) }
    #expect(throws: LabError.self) { try SwitchOverride(kind: nil, bridgeNetfilter: "yes") }
  }

  @Test func parsesTheSeedTopology() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../lab/seed.yaml"
    ).standardized.path
    let topology = try TopologyParser.load(path: path)
    #expect(topology.hosts.map(\.name) == ["lpar11", "lpar12"])
    #expect(topology.guests.count == 4)
    #expect(topology.guests.filter(\.autostart).count == 3)
    #expect(
      topology.tests.map(\.name) == [
        "running", "guest stopped", "guest restarted", "daemon restarted", "drift repaired by watch",
        "watch killed, ruleset flushed meanwhile", "watch restarted", "flush storm",
      ])
    #expect(topology.hosts.map(\.watch) == [true, true])
    guard case .inline(let hook) = topology.hosts[0].hook else {
      Issue.record("lpar11's hook config should be inline")
      return
    }
    #expect(hook.contains("routeProtocol: 151"))
    #expect(hook.contains("mode: proxy-arp"))
  }

  @Test func parsesTheDualStackSeed() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../lab/seed-dual.yaml"
    ).standardized.path
    let topology = try TopologyParser.load(path: path)
    let seed = try TopologyParser.load(
      path: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("seed.yaml").path)
    #expect(topology.usesIPv6 && !seed.usesIPv6)
    let guest = try #require(topology.guest(named: "guest11a"))
    #expect(guest.address6?.description == "fd00:10::136:11:5/128")
    #expect(guest.gateway6?.description == "fe80::1")
    #expect(topology.primaryAddress6(of: "prod")?.description == "fd00:10::10")
    // The IPv4 rows are seed.yaml's, unchanged, in the same phases.
    for phase in seed.tests {
      let dual = try #require(topology.tests.first { $0.name == phase.name })
      let ipv4 = dual.expectations.filter { if case .ipv6 = $0.kind { false } else { true } }
      #expect(ipv4 == phase.expectations, "phase \(phase.name)")
    }
    let rows = topology.tests.flatMap(\.expectations).compactMap { row -> IPv6Expectation? in
      if case .ipv6(let v6) = row.kind { v6 } else { nil }
    }
    #expect(rows.contains(.ndp(from: "prod", target: .node("guest11a"), answeredBy: [InterfaceRef("lpar11.osa10")!])))
    #expect(rows.contains(.ndp(from: "prod", target: .node("guest11c"), answeredBy: [])))
    #expect(rows.contains(.reach(from: "guest11a", to: .address(IPv6Address("fe80::1")!, zone: "eth0"), probes: [.ping], expected: true)))
    #expect(rows.contains(.spoof(from: "guest11a", to: .node("update"), source: IPv6Address("fd00:10::136:11:99")!)))
    // The bridged phase: each guest's entry for the other must hold the other guest's own MAC.
    #expect(rows.contains(.entry(on: "guest11a", target: .node("guest11b"), holds: InterfaceRef("guest11b.eth0")!)))
    #expect(rows.contains(.entry(on: "guest11b", target: .node("guest11a"), holds: InterfaceRef("guest11a.eth0")!)))
  }

  @Test func parsesTheDualStackFleet() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../lab/fleet.yaml"
    ).standardized.path
    let topology = try TopologyParser.load(path: path)
    #expect(topology.usesIPv6)
    #expect(topology.guest(named: "guest11b")?.address6?.description == "fd00:10::136:11:6/128")
    // After each migration, prod's IPv6 entry is read first, as the handover's advertisement left it.
    func ipv6Rows(_ phase: String) throws -> [IPv6Expectation] {
      try #require(topology.tests.first { $0.name == phase }).expectations.compactMap { row in
        if case .ipv6(let v6) = row.kind { v6 } else { nil }
      }
    }
    #expect(
      try ipv6Rows("migrated").first
        == .entry(on: "prod", target: .node("guest11b"), holds: InterfaceRef("lpar12.osa10")!))
    #expect(
      try ipv6Rows("migrated back").first
        == .entry(on: "prod", target: .node("guest11b"), holds: InterfaceRef("lpar11.osa10")!))
    #expect(
      try ipv6Rows("migrated").contains(
        .ndp(from: "prod", target: .node("guest11b"), answeredBy: [InterfaceRef("lpar12.osa10")!])))
  }

  /// Each case replaces one text in the minimal topology and names the error it must produce.
  static let errorCases: [ParseErrorCase] = [
    (
      "lab: t", "lab: Seed_1",
      "topology.yaml:1:6: lab: 'Seed_1' must be 1 to 10 lowercase letters or digits (it prefixes namespace names)"
    ),
    (
      "lab: t", "lbb: t",
      "topology.yaml:1:1: lbb: unknown field (expected one of: lab, segments, hosts, machines, tests, bench)"
    ),
    ("lab: t\n", "", "topology.yaml:1:1: missing required field 'lab'"),
    (
      "subnet: 10.0.0.0/8", "subnet: 10.0.0.1/8",
      "topology.yaml:3:26: segments[0].subnet: '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?"
    ),
    (
      "subnet: 10.0.0.0/8", "subnet: 10.0.0.0/33",
      "topology.yaml:3:26: segments[0].subnet: '10.0.0.0/33' is not an IPv4 address with prefix (a.b.c.d/n)"
    ),
    (
      "kind: ovs", "kind: vde",
      "topology.yaml:6:21: hosts[0].switch.kind: 'vde' is not a switch kind (ovs or linux-bridge)"
    ),
    ("mtu: 9000", "mtu: 70000", "topology.yaml:6:31: hosts[0].switch.mtu: 70000 is out of range 68...65535"),
    (
      "mtu: 9000 }", "mtu: 9000, bridgeNetfilter: true }",
      "topology.yaml:6:13: hosts[0].switch: bridgeNetfilter is about a Linux bridge (kind: linux-bridge); "
        + "Open vSwitch frames never reach it"
    ),
    (
      "mtu: 9000 }", "mtu: 9000, bridgeNetfilter: maybe }",
      "topology.yaml:6:54: hosts[0].switch.bridgeNetfilter: expected true or false, not 'maybe'"
    ),
    (
      "segment: lan, address: 10.131", "segment: wan, address: 10.131",
      "topology.yaml:8:33: hosts[0].interfaces[0].segment: unknown segment 'wan' (segments: lan)"
    ),
    (
      "address: 10.131.1.254/8", "address: 11.131.1.254/8",
      "topology.yaml:8:47: hosts[0].interfaces[0].address: 11.131.1.254/8 is not inside segment lan (10.0.0.0/8)"
    ),
    (
      "address: 10.0.0.10/8", "address: 10.131.1.254/8",
      "topology.yaml:13:55: machines[0].interfaces[0].address: 10.131.1.254 is already used at hosts[0].interfaces[0].address"
    ),
    (
      "name: osa10", "name: osa-card-number-10",
      "topology.yaml:8:17: hosts[0].interfaces[0].name: 'osa-card-number-10' is not a usable interface name (letter first, at most 15 of [A-Za-z0-9_-])"
    ),
    (
      "name: prod", "name: kvm1",
      "topology.yaml:12:11: machines[0].name: 'kvm1' is already the name of hosts[0].name"
    ),
    (
      "name: g1,", "name: G1,",
      "topology.yaml:10:17: hosts[0].guests[0].name: 'G1' must start with a lowercase letter and have at most 15 lowercase letters, digits or '-'"
    ),
    (
      "gateway: 10.136.1.254", "gateway: 11.0.0.1",
      "topology.yaml:10:53: hosts[0].guests[0].gateway: gateway 11.0.0.1 is not inside the guest's subnet 10.136.1.5/8"
    ),
    (
      "address: 10.136.1.5/8", "address: 10.136.1.5/8, mac: '01:00:5e:00:00:01'",
      "topology.yaml:10:49: hosts[0].guests[0].mac: '01:00:5e:00:00:01' is a multicast MAC; a NIC needs a unicast one"
    ),
    (
      "to: g1", "to: g9",
      "topology.yaml:17:34: tests[0].expect[0].reach.to: unknown node 'g9' (a host, guest or machine)"
    ),
    (
      "reach: { from", "reech: { from",
      "topology.yaml:17:9: tests[0].expect[0].reech: unknown field (expected one of: name, scenario, reach, noReach, arp, nat, path, pmtu, hookStatus, gone, drops, doctor, refused, libvirtLog, hookMatchesLibvirt, bgp, init, watching, reach6, noReach6, nat6, ndp, spoof6, dad, neighbour6)"
    ),
    (
      "- reach: { from: prod, to: g1 }", "- arp: { from: prod, for: g1, answeredBy: kvm1.osa99 }",
      "topology.yaml:17:49: tests[0].expect[0].arp.answeredBy: node 'kvm1' has no interface 'osa99' (it has: osa10, br-ex)"
    ),
    (
      "- reach: { from: prod, to: g1 }", "- nat: { from: g1, to: prod, source: kvm1 }",
      "topology.yaml:17:44: tests[0].expect[0].nat.source: 'kvm1' is not NODE.INTERFACE (e.g. lpar11.osa10)"
    ),
    (
      "- phase: p", "- phase: p\n    repeat: q",
      "topology.yaml:16:13: tests[0].repeat: 'q' is not an earlier phase"
    ),
    (
      "- phase: p", "- phase: p\n    do: [{ restartDaemon: kvm1 }]",
      "topology.yaml:16:27: tests[0].do[0].restartDaemon: host 'kvm1' has no hook config"
    ),
    (
      "address: 10.136.1.5/8,", "address: 10.136.1.5/8, address6: 'fd00::5',",
      "topology.yaml:10:54: hosts[0].guests[0].address6: 'fd00::5' is not an IPv6 address with prefix (like fd00:10::136:11:5/128)"
    ),
    (
      "gateway: 10.136.1.254 }", "gateway: 10.136.1.254, gateway6: 'fe80::1' }",
      "topology.yaml:10:77: hosts[0].guests[0].gateway6: gateway6 needs the guest's address6"
    ),
    (
      "- reach: { from: prod, to: g1 }", "- reach6: { from: prod, to: g1 }",
      "topology.yaml:17:35: tests[0].expect[0].reach6.to: g1 has no IPv6 address"
    ),
    (
      "- reach: { from: prod, to: g1 }", "- reach6: { from: prod, to: 'fe80::1%eth0' }",
      "topology.yaml:17:35: tests[0].expect[0].reach6.to: a link-local target with a zone takes probes: [ping]"
    ),
    (
      "- reach: { from: prod, to: g1 }", "- reach6: { from: prod, to: 'fe80::1%', probes: [ping] }",
      "topology.yaml:17:35: tests[0].expect[0].reach6.to: 'fe80::1%' is not an IPv6 address"
    ),
    (
      "- reach: { from: prod, to: g1 }", "- reach6: { from: prod, to: 'fd00::g' }",
      "topology.yaml:17:35: tests[0].expect[0].reach6.to: 'fd00::g' is not an IPv6 address"
    ),
    (
      "hosts:", "hosts: [",
      "topology.yaml:5:3: YAML syntax: while parsing a flow node did not find expected node content"
    ),
  ]

  @Test(arguments: 0..<errorCases.count)
  func reportsLineAndField(_ index: Int) {
    expectParseError(in: minimalTopology, Self.errorCases[index], index: index)
  }
}
