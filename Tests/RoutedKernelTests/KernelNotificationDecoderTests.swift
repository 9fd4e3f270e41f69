import Testing

@testable import RoutedCore
@testable import RoutedKernel

/// The watch daemon's notifications decoded from what the kernel sent (Fixtures/notify-*.hex, recorded by
/// Fixtures/record-notifications.py in a throwaway namespace where br-ex is ifindex 2): no root needed.
/// Every message of a fixture is listed, so a notification decoded wrongly or dropped fails.
@Suite struct KernelNotificationDecoderTests {
  static func decoded(_ name: String) throws -> [KernelNotification] {
    try GoldenFixture(name).bytes.withUnsafeBytes(KernelNotificationDecoder.notifications(in:))
  }

  static func route(
    _ destination: String, _ prefixLength: Int, protocol routeProtocol: UInt8, removed: Bool = false,
    replacing: Bool = false
  ) -> KernelNotification {
    .route(
      RouteEvent(
        removed: removed, replacing: replacing, routeProtocol: routeProtocol,
        destination: IPAddress(destination),
        prefixLength: prefixLength))
  }

  static func nft(_ kind: NftDeletion.Kind, _ table: String, key: [UInt8]? = nil) -> KernelNotification {
    .nftablesDeletion(NftDeletion(kind: kind, table: table, elementKey: key))
  }

  /// `ip route add` then `ip route del` of a guest's host route, IPv4 and IPv6: protocol, prefix length,
  /// RTA_DST and which of the two it is.
  @Test func hostRoutesAddedAndDeleted() throws {
    #expect(
      try Self.decoded("notify-route4") == [
        Self.route("10.136.11.5", 32, protocol: 151),
        Self.route("10.136.11.5", 32, protocol: 151, removed: true),
      ])
    #expect(
      try Self.decoded("notify-route6") == [
        Self.route("fd00:10::136:11:5", 128, protocol: 151),
        Self.route("fd00:10::136:11:5", 128, protocol: 151, removed: true),
      ])
    #expect(
      try Self.decoded("notify-route-subnet") == [
        Self.route("10.136.12.0", 24, protocol: 151),
        Self.route("10.136.12.0", 24, protocol: 151, removed: true),
      ])
  }

  /// `ip route replace … proto static` over a route of ours: one RTM_NEWROUTE with NLM_F_REPLACE.
  @Test func aReplacedRouteCarriesTheReplaceFlag() throws {
    #expect(
      try Self.decoded("notify-route-replaced") == [
        Self.route("10.136.11.6", 32, protocol: 4, replacing: true)
      ])
  }

  /// `ip address del` of br-ex's IPv4 and IPv6 addresses: RTM_DELADDR with family and ifindex (and IPv4's
  /// label), then the kernel's own routes (protocol 2) that went with them.
  @Test func addressesRemoved() throws {
    #expect(
      try Self.decoded("notify-address4") == [
        .addressRemoved(
          KernelAddress(
            index: 2, address: .v4(IPv4Interface("10.136.11.254/24")!), routeProtocol: 0, label: "br-ex",
            flags: 0x80)),  // IFA_F_PERMANENT
        Self.route("10.136.11.0", 24, protocol: 2, removed: true),
        Self.route("10.136.11.255", 32, protocol: 2, removed: true),
        Self.route("10.136.11.254", 32, protocol: 2, removed: true),
      ])
    #expect(
      try Self.decoded("notify-address6") == [
        .addressRemoved(
          KernelAddress(
            index: 2, address: .v6(IPv6Interface("fd00:10::1/64")!), routeProtocol: 0,
            flags: 0x82)),  // IFA_F_PERMANENT | IFA_F_NODAD
        Self.route("fd00:10::1", 128, protocol: 2, removed: true),
        Self.route("fd00:10::", 64, protocol: 2, removed: true),
      ])
  }

  /// A tap created, brought up and deleted, then br-ex taken down (which takes its link-local address and
  /// routes): RTM_NEWLINK and RTM_DELLINK by name.
  @Test func linksChangedAndRemoved() throws {
    #expect(
      try Self.decoded("notify-link") == [
        .link(name: "vnet7", removed: false), .link(name: "vnet7", removed: false),
        .link(name: "vnet7", removed: false), .link(name: "vnet7", removed: true),
        .link(name: "br-ex", removed: false),
        Self.route("fe80::", 64, protocol: 2, removed: true),
        Self.route("ff00::", 8, protocol: 2, removed: true),
        .addressRemoved(
          KernelAddress(
            index: 2, address: .v6(IPv6Interface("fe80::802e:15ff:fe44:a936/64")!), routeProtocol: 3,
            flags: 0xc0)),  // IFA_F_PERMANENT | IFA_F_TENTATIVE (the link is down)
      ])
  }

  /// `nft delete element` from sets of every key type routed-hook makes, a port set, and another table's set:
  /// one DELSETELEM each, with the table's name and the key's bytes (the interface name padded to 16).
  @Test func setElementsDeleted() throws {
    let address4: [UInt8] = [10, 136, 11, 5]
    let address6 = IPv6Address("fd00:10::136:11:5")!.bytes
    let interface = Array("br-ex".utf8) + [UInt8](repeating: 0, count: 11)
    #expect(
      try Self.decoded("notify-nft-elements") == [
        Self.nft(.element, "routed_hook", key: address4),
        Self.nft(.element, "routed_hook", key: address4 + interface),
        Self.nft(.element, "routed_hook", key: address6),
        Self.nft(.element, "routed_hook", key: address6 + interface),
        Self.nft(.element, "routed_hook", key: [0, 22]), Self.nft(.element, "other", key: address4),
      ])
  }

  /// `nft flush chain`, `delete chain`, `delete set`, `delete table` (which notifies each set it held, not
  /// their elements), and another table's deletion; the NEWGEN message after each batch decodes to nothing.
  @Test func objectsDeleted() throws {
    #expect(
      try Self.decoded("notify-nft-objects") == [
        Self.nft(.rule, "routed_hook"), Self.nft(.chain, "routed_hook"),
        Self.nft(.set, "routed_hook"), Self.nft(.set, "routed_hook"), Self.nft(.set, "routed_hook"),
        Self.nft(.set, "routed_hook"), Self.nft(.set, "routed_hook"), Self.nft(.table, "routed_hook"),
        Self.nft(.set, "other"), Self.nft(.table, "other"),
      ])
  }

  /// A datagram cut inside its last message: the whole messages before it are decoded, the rest dropped.
  @Test func aTruncatedDatagramKeepsItsWholeMessages() throws {
    let bytes = try GoldenFixture("notify-route4").bytes
    #expect(
      bytes.dropLast(8).withUnsafeBytes(KernelNotificationDecoder.notifications(in:)) == [
        Self.route("10.136.11.5", 32, protocol: 151)
      ])
  }
}
