@testable import RoutedCore
import Testing

/// What a kernel notification means for the watch daemon's records, one row per branch: the signal, and for
/// `everything` the exact trigger text the daemon logs and puts in its status (docs/watch.md).
@Suite struct DriftClassifierTests {
  static let classifier = DriftClassifier(
    routeProtocol: 151, interfaces: ["br-ex", "osa10"], tables: ["routed_hook", "routed_hook_nat"])

  static func route(
    _ destination: String?, _ prefixLength: Int, protocol routeProtocol: UInt8 = 151, removed: Bool = false,
    replacing: Bool = false
  ) -> KernelNotification {
    .route(
      RouteEvent(
        removed: removed, replacing: replacing, routeProtocol: routeProtocol,
        destination: destination.flatMap { IPAddress($0) }, prefixLength: prefixLength))
  }

  static func addressRemoved(_ address: IPInterface, index: Int32 = 2) -> KernelNotification {
    .addressRemoved(KernelAddress(index: index, address: address, routeProtocol: 0))
  }

  static let v6Address = IPInterface.v6(IPv6Interface("fd00:10::1/64")!)
  static let address4: [UInt8] = [10, 136, 11, 5]
  static let address6 = IPv6Address("fd00:10::136:11:5")!.bytes
  static let interface = Array("osa10".utf8) + [UInt8](repeating: 0, count: 11)

  static let rows: [(String, KernelNotification, String?, DriftSignal)] = [
    ("our host route deleted", route("10.136.11.5", 32, removed: true), nil, .guestAddress("10.136.11.5")),
    (
      "our IPv6 host route deleted", route("fd00:10::136:11:5", 128, removed: true), nil,
      .guestAddress("fd00:10::136:11:5")
    ),
    ("our host route added", route("10.136.11.5", 32), nil, .none),
    ("our route replaced by one of ours", route("10.136.11.5", 32, replacing: true), nil, .none),
    ("a foreign route deleted", route("10.136.11.5", 32, protocol: 4, removed: true), nil, .none),
    ("a foreign route added", route("10.136.11.5", 32, protocol: 4), nil, .none),
    (
      "a foreign route replaced over ours", route("10.136.11.6", 32, protocol: 4, replacing: true), nil,
      .guestAddress("10.136.11.6")
    ),
    (
      "our subnet route deleted", route("10.136.12.0", 24, removed: true), nil,
      .everything("route 10.136.12.0/24 changed")
    ),
    (
      "our IPv6 subnet route deleted", route("fd00:10::136:12:0", 112, removed: true), nil,
      .everything("route fd00:10::136:12:0/112 changed")
    ),
    (
      "a foreign subnet route replaced", route("10.136.12.0", 24, protocol: 4, replacing: true), nil,
      .everything("route 10.136.12.0/24 changed")
    ),
    ("our default route deleted", route(nil, 0, removed: true), nil, .everything("route default/0 changed")),
    (
      "an IPv6 address removed from a bridge of ours", addressRemoved(v6Address), "br-ex",
      .everything("an IPv6 address was removed")
    ),
    (
      "an IPv6 address removed from an uplink of ours", addressRemoved(v6Address), "osa10",
      .everything("an IPv6 address was removed")
    ),
    ("an IPv6 address removed from a tap", addressRemoved(v6Address), "vnet7", .none),
    ("an IPv6 address removed from a link already gone", addressRemoved(v6Address), nil, .none),
    (
      "an IPv4 address removed", addressRemoved(.v4(IPv4Interface("10.136.11.254/24")!)), nil,
      .everything("an IPv4 address was removed")
    ),
    (
      "a link of ours changed", .link(name: "br-ex", removed: false), nil,
      .everything("link br-ex changed or appeared")
    ),
    (
      "a link of ours went away", .link(name: "osa10", removed: true), nil,
      .everything("link osa10 went away")
    ),
    ("a tap appeared", .link(name: "vnet7", removed: false), nil, .none),
    ("a tap went away", .link(name: "vnet7", removed: true), nil, .none),
    (
      "our table deleted", nft(.table, "routed_hook"), nil,
      .everything("nftables: table deleted in table routed_hook")
    ),
    (
      "a chain of ours deleted", nft(.chain, "routed_hook_nat"), nil,
      .everything("nftables: chain deleted in table routed_hook_nat")
    ),
    (
      "a rule of ours deleted", nft(.rule, "routed_hook"), nil,
      .everything("nftables: rule deleted in table routed_hook")
    ),
    (
      "a set of ours deleted", nft(.set, "routed_hook"), nil,
      .everything("nftables: set deleted in table routed_hook")
    ),
    ("another table deleted", nft(.table, "other"), nil, .none),
    ("another table's chain deleted", nft(.chain, "other"), nil, .none),
    ("another table's rule deleted", nft(.rule, "other"), nil, .none),
    ("another table's set deleted", nft(.set, "other"), nil, .none),
    ("another table's element deleted", nft(.element, "other", key: address4), nil, .none),
    (
      "an IPv4 element deleted", nft(.element, "routed_hook", key: address4), nil,
      .guestAddress("10.136.11.5")
    ),
    (
      "an IPv4 . ifname element deleted", nft(.element, "routed_hook", key: address4 + interface), nil,
      .guestAddress("10.136.11.5")
    ),
    (
      "an IPv6 element deleted", nft(.element, "routed_hook", key: address6), nil,
      .guestAddress("fd00:10::136:11:5")
    ),
    (
      "an IPv6 . ifname element deleted", nft(.element, "routed_hook_nat", key: address6 + interface), nil,
      .guestAddress("fd00:10::136:11:5")
    ),
    (
      "an element of an unknown key length deleted", nft(.element, "routed_hook", key: [0, 22]), nil,
      .everything("nftables: an element left a table of ours")
    ),
    (
      "an element without a key deleted", nft(.element, "routed_hook"), nil,
      .everything("nftables: an element left a table of ours")
    ),
  ]

  static func nft(_ kind: NftDeletion.Kind, _ table: String, key: [UInt8]? = nil) -> KernelNotification {
    .nftablesDeletion(NftDeletion(kind: kind, table: table, elementKey: key))
  }

  @Test(arguments: rows)
  func signal(row: (String, KernelNotification, String?, DriftSignal)) {
    let (what, notification, interfaceName, expected) = row
    #expect(Self.classifier.signal(for: notification, interfaceName: interfaceName) == expected, "\(what)")
  }

  /// Only an IPv6 address's removal needs its interface's name looked up (IPv4 ones all count).
  @Test func onlyAnIPv6AddressRemovalAsksForAName() {
    #expect(Self.classifier.interfaceToName(Self.addressRemoved(Self.v6Address, index: 7)) == 7)
    #expect(
      Self.classifier.interfaceToName(Self.addressRemoved(.v4(IPv4Interface("10.136.11.254/24")!))) == nil)
    #expect(Self.classifier.interfaceToName(.link(name: "br-ex", removed: true)) == nil)
    #expect(Self.classifier.interfaceToName(Self.route("10.136.11.5", 32, removed: true)) == nil)
  }
}
