import Foundation
@testable import RoutedCore
import Testing

@testable import RoutedKernel

/// The bytes routed-hook builds, compared with what nft and ip sent for the same object (no root needed).
@Suite struct GoldenBytesTests {
  let egress = OwnedSet(table: .filter, name: "egress", keyType: .addressAndInterface)
  let forward = OwnedChain(
    table: .filter, name: "forward", kind: .filter, hook: .forward, priority: 0, rules: [])

  /// One rtnetlink route message (16-byte header, 12-byte rtmsg) with its attributes in type order.
  static func attributesSorted(_ bytes: [UInt8]) -> [UInt8] {
    var attributes: [[UInt8]] = []
    var offset = 28
    while offset + 4 <= bytes.count {
      let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
      let padded = (length + 3) & ~3
      attributes.append(Array(bytes[offset..<min(offset + padded, bytes.count)]))
      offset += padded
    }
    let type = { (attribute: [UInt8]) in Int(attribute[2]) | Int(attribute[3]) << 8 }
    return Array(bytes.prefix(28)) + attributes.sorted { type($0) < type($1) }.flatMap { $0 }
  }

  /// One nft transaction as KernelHandle frames it: begin, the message, end.
  func batch(_ build: (UInt32) -> [UInt8]) -> [UInt8] {
    NftMessage.batchMarker(begin: true, sequence: 0) + build(1)
      + NftMessage.batchMarker(begin: false, sequence: 2)
  }

  func expect(
    _ built: [UInt8], matches name: String, sortingAttributes: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
  )
    throws
  {
    let fixture = try GoldenFixture(name)
    let expected = GoldenFixture.normalized(sortingAttributes ? Self.attributesSorted(fixture.bytes) : fixture.bytes)
    let actual = GoldenFixture.normalized(built)
    #expect(
      actual == expected,
      "\(name) (\(fixture.command)):\nexpected\n\(GoldenFixture.hex(expected.flatMap { $0 }))\nbuilt\n\(GoldenFixture.hex(actual.flatMap { $0 }))",
      sourceLocation: sourceLocation)
  }

  @Test func table() throws {
    try expect(batch { NftMessage.newTable(.filter, sequence: $0) }, matches: "table")
  }

  @Test func chain() throws {
    try expect(batch { NftMessage.newChain(forward, sequence: $0) }, matches: "chain")
  }

  @Test func sets() throws {
    try expect(batch { NftMessage.newSet(egress, id: 1, sequence: $0) }, matches: "set-concat")
    let guests = OwnedSet(table: .filter, name: "guests_production", keyType: .address)
    try expect(batch { NftMessage.newSet(guests, id: 1, sequence: $0) }, matches: "set-address")
  }

  @Test(arguments: [
    (
      "rule-drop-spoofed", Rule.dropSpoofed(bridge: "br-ex", set: "guests_production"), "prerouting",
      UInt32(2)
    ),
    ("rule-bridged", .acceptBridged(bridge: "br-ex"), "forward", 0),
    ("rule-egress", .acceptEgress(bridge: "br-ex", set: "egress"), "forward", 1),
    ("rule-ingress", .acceptIngress(bridge: "br-ex", set: "ingress"), "forward", 3),
    ("rule-replies", .acceptReplies(bridge: "br-ex"), "forward", 0),
    ("rule-drop-from", .dropFromBridge(bridge: "br-ex"), "forward", 0),
    ("rule-drop-to", .dropToBridge(bridge: "br-ex"), "forward", 0),
    ("rule-masquerade", .masquerade(set: "masq"), "postrouting", 5),
    ("rule-arp", .dropARPRequests(interface: "osa10", set: "answer_osa10"), "input", 4),
  ])
  func rule(fixture: String, rule: Rule, chain: String, setID: UInt32) throws {
    let table: OwnedTable =
      switch rule {
      case .masquerade: .nat
      case .dropARPRequests: .arpFilter
      default: .filter
      }
    let owner = OwnedChain(
      table: table, name: chain, kind: .filter, hook: .forward, priority: 0, rules: [rule])
    try expect(
      batch { NftMessage.newRule(rule, in: owner, setID: { _ in setID }, sequence: $0) }, matches: fixture)
  }

  @Test func elementWithComment() throws {
    let key = SetElementKey(address: IPv4Address("10.136.11.5")!, interface: "osa10")
    try expect(
      batch { NftMessage.newElement(egress, key, comment: "web01", setID: 1, sequence: $0) },
      matches: "element-add")
    try expect(batch { NftMessage.deleteElement(egress, key, sequence: $0) }, matches: "element-delete")
  }

  @Test func routes() throws {
    let host = OwnedRoute(
      destination: .host(IPv4Address("10.136.11.5")!), device: "br-ex", routeProtocol: 151)
    try expect(RtnetlinkMessage.route(.add, host, outputIndex: 2, sequence: 1), matches: "route-link")
    try expect(RtnetlinkMessage.route(.delete, host, outputIndex: 2, sequence: 1), matches: "route-delete")
    let peer = OwnedRoute(
      destination: IPv4Network("10.136.12.0/24")!, gateway: IPv4Address("10.136.11.7")!, device: "br-ex",
      routeProtocol: 151)
    try expect(RtnetlinkMessage.route(.add, peer, outputIndex: 2, sequence: 1), matches: "route-via")
  }

  // IPv6: the same objects of the other family, and the proxy neighbour entries.

  @Test func sets6() throws {
    let guests6 = OwnedSet(table: .filter, name: "guests6_production", keyType: .address6)
    try expect(batch { NftMessage.newSet(guests6, id: 1, sequence: $0) }, matches: "set-address6")
    let egress6 = OwnedSet(table: .filter, name: "egress6", keyType: .address6AndInterface)
    try expect(batch { NftMessage.newSet(egress6, id: 1, sequence: $0) }, matches: "set-concat6")
    try expect(batch { NftMessage.newTable(.nat6, sequence: $0) }, matches: "table-nat6")
  }

  @Test(arguments: [
    (
      "rule-drop-spoofed6", Rule.dropSpoofed6(bridge: "br-ex", set: "guests6_production"), "prerouting",
      UInt32(4)
    ),
    ("rule-egress6", .acceptEgress6(bridge: "br-ex", set: "egress6"), "forward", 5),
    ("rule-ingress6", .acceptIngress6(bridge: "br-ex", set: "ingress6"), "forward", 6),
    ("rule-masquerade6", .masquerade6(set: "masq6"), "postrouting", 9),
  ])
  func rule6(fixture: String, rule: Rule, chain: String, setID: UInt32) throws {
    let table: OwnedTable = if case .masquerade6 = rule { .nat6 } else { .filter }
    let owner = OwnedChain(
      table: table, name: chain, kind: .filter, hook: .forward, priority: 0, rules: [rule])
    try expect(
      batch { NftMessage.newRule(rule, in: owner, setID: { _ in setID }, sequence: $0) }, matches: fixture)
  }

  @Test func element6WithComment() throws {
    let egress6 = OwnedSet(table: .filter, name: "egress6", keyType: .address6AndInterface)
    let key = SetElementKey(address: IPAddress("fd00:10::136:11:5")!, interface: "osa10")
    try expect(
      batch { NftMessage.newElement(egress6, key, comment: "web01", setID: 5, sequence: $0) },
      matches: "element-add6")
    try expect(batch { NftMessage.deleteElement(egress6, key, sequence: $0) }, matches: "element-delete6")
    #expect(SetElementKey(bytes: key.bytes, keyType: .address6AndInterface) == key)
  }

  @Test func routes6() throws {
    let host = OwnedRoute(
      destination: IPNetwork("fd00:10::136:11:5/128")!, device: "br-ex", routeProtocol: 151)
    try expect(RtnetlinkMessage.route(.add, host, outputIndex: 2, sequence: 1), matches: "route6-link")
    // ip puts RTA_OIF after the loop over its arguments, so after RTA_PRIORITY; the kernel reads
    // attributes by type, in any order.
    try expect(
      Self.attributesSorted(RtnetlinkMessage.route(.delete, host, outputIndex: 2, sequence: 1)),
      matches: "route6-delete", sortingAttributes: true)
    let peer = OwnedRoute(
      destination: IPNetwork("fd00:10::136:12:0/112")!, gateway: IPAddress("fd00:31:56::2")!, device: "osa10",
      routeProtocol: 151)
    try expect(RtnetlinkMessage.route(.add, peer, outputIndex: 4, sequence: 1), matches: "route6-via")
  }

  @Test func proxyNeighbours() throws {
    let entry = ProxyNeighbour(address: IPv6Address("fd00:10::136:11:5")!, device: "osa10", routeProtocol: 151)
    try expect(
      RtnetlinkMessage.neighbour(add: true, entry, index: 4, sequence: 1), matches: "neighbour-add")
    try expect(
      RtnetlinkMessage.neighbour(add: false, entry, index: 4, sequence: 1), matches: "neighbour-delete")
  }
}
