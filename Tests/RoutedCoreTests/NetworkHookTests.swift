import Foundation
import Testing

@testable import RoutedCore

@Suite struct NetworkHookTests {
  let config = Fixture.config

  @Test func startedNamesTheNetworkAndItsBridge() throws {
    let data = try NetworkHookData.parse(Array(Fixture.text("network/started.xml").utf8))
    #expect(
      data == NetworkHookData(networkName: "ovs-guests", bridge: "br-ex", forwardMode: "bridge", port: nil))
    #expect(config.guestNetwork(bridge: data.bridge, libvirtNetwork: data.networkName)?.name == "guests")
  }

  @Test func portCreatedNamesOwnerMACAndBridge() throws {
    let data = try NetworkHookData.parse(Array(Fixture.text("network/port-created.xml").utf8))
    let port = try #require(data.port)
    #expect(port.owner == DomainIdentity(name: "app02", uuid: "0b7e1c52-9a44-4d2f-8f7c-3e0d5a6b7c8d"))
    #expect(port.mac == MACAddress("52:54:00:11:00:06"))
    #expect(port.bridge == "br-ex")
  }

  @Test func foreignNetworkIsNotOurs() throws {
    let data = try NetworkHookData.parse(Array(Fixture.text("network/port-foreign.xml").utf8))
    #expect(config.guestNetwork(bridge: data.bridge, libvirtNetwork: data.networkName) == nil)
  }

  @Test(arguments: [
    ("<network><name>x</name></network>", "expected <hookData>, found <network>"),
    ("<hookData><network/></hookData>", "hook data has no <network><name>"),
    (
      "<hookData><network><name>n</name></network><networkport><mac address='52:54:00:11:00:06'/></networkport></hookData>",
      "network n: <networkport> has no valid <owner> name and uuid"
    ),
  ])
  func badHookData(xml: String, message: String) {
    #expect(throws: DomainXMLError(message)) { try NetworkHookData.parse(Array(xml.utf8)) }
  }

  @Test func portPlanRoutesOneNICAndMergesIntoTheRecord() throws {
    let port = try #require(
      try NetworkHookData.parse(Array(Fixture.text("network/port-created.xml").utf8)).port)
    let metadata = try Fixture.domain("app02-two-networks.xml").metadata
    let plan = try PortPlanner.add(
      port, network: "ovs-guests", metadata: metadata, config: config, existing: nil, facts: Fixture.facts)
    let record = try #require(plan.record)
    #expect(record.interfaces.map(\.addressText) == ["10.136.11.6"])
    #expect(plan.guestChanges.allSatisfy { $0.kind == .add })
    #expect(plan.guestChanges.count == record.objects.count)

    // The qemu hook's started (all NICs) then finds this NIC already applied, and keeps it.
    let started = try Planner.plan(
      .apply, domain: try Fixture.domain("app02-two-networks.xml"), config: config, records: [record],
      facts: Fixture.facts)
    #expect(started.guestChanges.filter { $0.kind == .remove }.isEmpty)
    #expect(Set(record.objects).isSubset(of: Set(started.record!.objects)))

    // port-created again (daemon restart) adds nothing new to the record.
    let again = try PortPlanner.add(
      port, network: "ovs-guests", metadata: metadata, config: config, existing: started.record,
      facts: Fixture.facts)
    #expect(again.record == started.record)
  }

  @Test func portDeletedRemovesOnlyThatNIC() throws {
    let domain = try Fixture.domain("app02-two-networks.xml")
    let record = try #require(
      try Planner.plan(.apply, domain: domain, config: config, records: [], facts: Fixture.facts).record)
    let port = try #require(
      try NetworkHookData.parse(Array(Fixture.text("network/port-created.xml").utf8)).port)
    let plan = PortPlanner.remove(port, existing: record)
    #expect(plan.guestChanges.allSatisfy { $0.kind == .remove })
    #expect(plan.guestChanges.allSatisfy { $0.object.belongs(to: [.v4(IPv4Address("10.136.11.6")!)]) })
    #expect(plan.record?.interfaces.map(\.addressText) == ["10.137.11.6"])
    #expect(PortPlanner.remove(port, existing: plan.record).isEmpty, "deleting twice is fine")
  }

  @Test(arguments: [
    ("start", HookAction.validate, FailureMode.refuse), ("started", .applyBaseline, .refuse),
    ("updated", .applyBaseline, .refuse),
    ("stopped", .removeBaseline, .neverFail), ("port-created", .applyPort, .neverFail),
    ("port-deleted", .removePort, .neverFail),
    ("plugged", .ignore, .neverFail), ("unplugged", .ignore, .neverFail),
  ])
  func networkExitPolicy(op: String, action: HookAction, failure: FailureMode) throws {
    let policy = HookPolicy.decide(
      try HookInvocation(kind: .network, arguments: ["ovs-guests", op, "begin", "-"]))
    #expect(policy == HookPolicy(action: action, onFailure: failure))
  }

  @Test func hostDownRemovesOwnedObjectsAndTurnsSysctlsOff() {
    let (remove, reset) = Planner.baselineRemoval(config: config, facts: Fixture.facts)
    #expect(
      remove.contains(.table(.filter)) && remove.contains(.table(.arpFilter)) && remove.contains(.table(.nat))
    )
    #expect(remove.contains { if case .route = $0 { true } else { false } })
    #expect(
      !remove.contains { if case .element = $0 { true } else { false } }, "elements go with their tables")
    #expect(reset.allSatisfy { if case .sysctl(let s) = $0 { s.value == 0 } else { false } })
    #expect(reset.contains(.sysctl(InterfaceSysctl(interface: "osa10", key: .proxyARP, value: 0))))
  }
}

@Suite struct PeerCheckTests {
  func host(_ name: String, _ yaml: String) throws -> PeerCheck.Host {
    PeerCheck.Host(name: name, config: try ConfigLoader.load(yaml: yaml, file: name))
  }

  var lpar11: String { Fixture.text("lpar11.yaml") }
  var lpar12: String { Fixture.text("lpar12.yaml") }

  @Test func theTalksPairIsSymmetric() throws {
    #expect(PeerCheck.findings(try host("lpar11.yaml", lpar11), try host("lpar12.yaml", lpar12)).isEmpty)
  }

  @Test func aMissingReturnRouteIsAsymmetric() throws {
    let broken = lpar12.replacingOccurrences(
      of: "      - { subnet: 10.136.11.0/24, via: 172.31.56.1 }\n", with: "")
    #expect(
      PeerCheck.findings(try host("lpar11.yaml", lpar11), try host("lpar12.yaml", broken)) == [
        "lpar12.yaml has no route to lpar11.yaml's guest network 'guests' (10.136.11.0/24): replies from there take another path"
      ])
  }

  @Test func twoRoutesToOneNetworkAreRefusedInOneConfig() throws {
    let twice = lpar11.replacingOccurrences(
      of: "  - name: intranet              # scenario IV",
      with:
        "  - name: second\n    interface: hsi1\n    mode: routed\n    peers:\n      - { subnet: 10.136.12.0/24, via: 172.31.57.2 }\n  - name: intranet              # scenario IV"
    )
    #expect(
      throws: ConfigError(
        file: "lpar11.yaml", line: 29, field: "uplinks[2].peers[0].subnet",
        message: "10.136.12.0/24 overlaps uplinks[1].peers[0] (10.136.12.0/24): two paths to the same guests")
    ) { try ConfigLoader.load(yaml: twice, file: "lpar11.yaml") }
  }

  @Test func twoRoutesToOneNetworkAreTwoPaths() throws {
    // Built directly, past the loader's own refusal, as a hand-edited host would be.
    var a = try host("lpar11.yaml", lpar11)
    a.config.uplinks.append(
      Uplink(
        name: "second", interface: "hsi1", mode: .routed,
        peers: [PeerRoute(subnet: IPv4Network("10.136.12.0/24")!, via: IPv4Address("172.31.56.2")!)]))
    let findings = PeerCheck.findings(a, try host("lpar12.yaml", lpar12))
    #expect(
      findings == [
        "lpar11.yaml reaches lpar12.yaml's guest network 'guests' (10.136.12.0/24) by two paths: 10.136.12.0/24 via 172.31.56.2 dev hsi0 and 10.136.12.0/24 via 172.31.56.2 dev hsi1"
      ])
  }

  @Test func aGatewayThatIsNotThePeersAddressIsFound() throws {
    let wrong = lpar11.replacingOccurrences(of: "via: 172.31.56.2", with: "via: 172.31.56.9")
    #expect(
      PeerCheck.findings(try host("lpar11.yaml", wrong), try host("lpar12.yaml", lpar12)) == [
        "lpar11.yaml routes 10.136.12.0/24 via 172.31.56.9, which is none of lpar12.yaml's uplink addresses (172.31.56.2/24)"
      ])
  }

  @Test func unrelatedHostsAreNotPeers() throws {
    let alone = lpar12.replacingOccurrences(
      of: "      - { subnet: 10.136.11.0/24, via: 172.31.56.1 }\n", with: ""
    )
    .replacingOccurrences(
      of: "      - { subnet: 10.137.11.0/24, via: 172.31.56.1 }   # LPAR 11's backend network\n", with: "")
    let lone11 = lpar11.replacingOccurrences(
      of: "      - { subnet: 10.136.12.0/24, via: 172.31.56.2 }\n", with: "")
    #expect(
      PeerCheck.findings(try host("a.yaml", lone11), try host("b.yaml", alone)) == [
        "a.yaml and b.yaml route none of each other's guest networks: they are not peers"
      ])
  }
}
