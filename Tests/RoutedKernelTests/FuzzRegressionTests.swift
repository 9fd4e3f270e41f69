import Foundation
import Testing

@testable import RoutedCore
@testable import RoutedKernel

/// Every input `scripts/fuzz` ever crashed on (Fuzz/regressions/TARGET/), fed to the same parsers in the
/// ordinary test run. A crash here ends the test process, which fails the run.
@Suite struct FuzzRegressionTests {
  static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")

  static func inputs(_ target: String) -> [[UInt8]] {
    let directory = regressions.appendingPathComponent(target)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.sorted().filter { !$0.hasPrefix(".") && $0 != "README.md" }.compactMap {
      (try? Data(contentsOf: directory.appendingPathComponent($0))).map { Array($0) }
    }
  }

  /// Found by `scripts/fuzz netlink`: libnftnl's element parser called exit(1) on an attribute of an
  /// unexpected size, and an error code of Int32.min overflowed its negation. Both inputs are kept.
  @Test func netlinkRepliesThatCrashedOnceAreDecoded() {
    let inputs = Self.inputs("netlink")
    #expect(inputs.count >= 2)
    let classifier = DriftClassifier(routeProtocol: 151, interfaces: ["br-ex"], tables: ["routed_hook"])
    for datagram in inputs {
      let messages = NetlinkMessage.split(datagram)
      #expect(!messages.isEmpty)
      for notification in datagram.withUnsafeBytes(KernelNotificationDecoder.notifications(in:)) {
        _ = classifier.signal(for: notification, interfaceName: "br-ex")
      }
      for message in messages {
        _ = LinkMessage(message)
        _ = RouteMessage(message)?.deviceIndexes
        _ = AddressMessage.decode(message)
        if let acknowledgement = Acknowledgement(message) { #expect(acknowledgement.error >= 0) }
        _ = (NftReply.table(message), NftReply.chain(message), NftReply.set(message))
        _ = NftReply.rule(message, in: .filter)
        _ = NeighbourMessage.decode(message)
        for keyType: SetKeyType in [.address, .addressAndInterface, .address6, .address6AndInterface] {
          _ = NftReply.elements(message, keyType: keyType)
        }
      }
    }
  }

  /// Found by `scripts/fuzz netlink`: a comment TLV whose length ran past the end of its blob was read beyond
  /// the message by libnftnl's walk. Such a blob, and one cut inside a TLV header, has no comment.
  @Test(
    arguments: [
      ([0, 6] + Array("web01".utf8) + [0], "web01"),
      ([1, 4, 0, 0, 0, 0, 0, 6] + Array("web01".utf8) + [0], "web01"),
      ([0, 10] + Array("web01".utf8) + [0], nil),
      ([0, 6] + Array("web01".utf8) + [0, 1], nil),
      ([], nil),
    ] as [([UInt8], String?)])
  func userdataCommentsAreReadWithinTheirBlob(blob: [UInt8], comment: String?) {
    #expect(blob.withUnsafeBytes(Userdata.comment(in:)) == comment)
  }

  /// Found by `scripts/fuzz netlink`: a message length of 2 GiB or more passed libmnl's check (a negative
  /// int) and the split trapped; a message of an unaligned length let libmnl's attribute walk run past it.
  @Test func datagramsTheKernelNeverSendsAreSplitSafely() {
    func header(length: UInt32, type: UInt16) -> [UInt8] {
      withUnsafeBytes(of: length) { Array($0) } + withUnsafeBytes(of: type) { Array($0) }
        + [UInt8](repeating: 0, count: 10)
    }
    let done = header(length: 20, type: 3) + [0, 0, 0, 0]  // NLMSG_DONE
    #expect(NetlinkMessage.split(done + header(length: 0x8000_0010, type: 3)).map(\.bytes) == [done])
    // 21 bytes: a header and an attribute header claiming 5 bytes of which one is there.
    let unaligned = header(length: 21, type: 16) + [5, 0, 3, 0, 0x41]  // RTM_NEWLINK
    let messages = NetlinkMessage.split(unaligned)
    #expect(messages.map(\.bytes) == [unaligned + [0, 0, 0]])
    #expect(LinkMessage(messages[0]) == nil)
  }

  /// An NLMSG_ERROR whose code is Int32.min is no errno: EPROTO, not a trap.
  @Test func anErrorCodeThatIsNoErrnoIsEPROTO() {
    var message =
      withUnsafeBytes(of: UInt32(36)) { Array($0) } + [2, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
    message += withUnsafeBytes(of: Int32.min) { Array($0) } + [UInt8](repeating: 0, count: 16)
    #expect(Acknowledgement(NetlinkMessage(bytes: message))?.error == EPROTO)
  }

  /// The element decoder that replaced libnftnl's reads what the kernel writes: a GET reply for one element
  /// of a concatenated set, built here byte by byte.
  @Test func setElementsAreDecodedWithoutLibnftnl() {
    func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
      let length = 4 + payload.count
      var bytes = withUnsafeBytes(of: UInt16(length)) { Array($0) } + withUnsafeBytes(of: type) { Array($0) }
      bytes += payload + [UInt8](repeating: 0, count: (4 - length % 4) % 4)
      return bytes
    }
    let key = [10, 136, 11, 5] + Array("osa10".utf8) + [UInt8](repeating: 0, count: 11)
    let element = attribute(
      0x8000 | 1,  // NFTA_LIST_ELEM, nested
      attribute(0x8000 | 1, attribute(1, key))  // NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE }
        + attribute(6, [0, 6] + Array("web01".utf8) + [0]))  // NFTA_SET_ELEM_USERDATA: comment TLV
    let payload = [2, 0, 0, 0] + attribute(1, Array("routed_hook\0".utf8)) + attribute(3, element)
    // NFT_MSG_NEWSETELEM (subsystem 10, message 12).
    var message = withUnsafeBytes(of: UInt32(16 + payload.count)) { Array($0) } + [12, 10]
    message += [UInt8](repeating: 0, count: 10) + payload
    let elements = NftReply.elements(NetlinkMessage(bytes: message), keyType: .addressAndInterface)
    #expect(elements.count == 1)
    #expect(elements.first?.key == SetElementKey(address: IPv4Address("10.136.11.5")!, interface: "osa10"))
    #expect(elements.first?.comment == "web01")
  }

  @Test func documentsThatCrashedOnceAreRefusedOrRead() throws {
    for input in Self.inputs("domain-xml") {
      guard let domain = try? DomainXML.parse(input) else { continue }
      // crash-7124…: a long name and a "UUID" of 90 bytes (minimized-7124…: a "UUID" holding a newline), both
      // put into an element comment as they were. Since a domain with no managed NIC is ignored whatever it
      // lacks, the parser keeps such a UUID as a problem instead of refusing the document; one with a managed
      // NIC is refused for it before any element comment is made.
      if let problem = domain.identityProblem {
        var managed = domain
        managed.metadata = [
          GuestAddress(mac: MACAddress("52:54:00:11:00:05")!, address: IPv4Address("10.136.11.5")!)
        ]
        managed.interfaces = [
          DomainInterface(
            type: "bridge", mac: MACAddress("52:54:00:11:00:05"), sourceBridge: "br-ex", sourceNetwork: nil,
            targetDevice: nil, virtualPort: nil)
        ]
        let config = try ConfigLoader.load(
          yaml: "guestNetworks:\n  - { name: guests, bridge: br-ex, gateway: 10.136.11.254/24 }\n",
          file: "fuzz.yaml")
        #expect(throws: DomainError(problem)) { try GuestResolver.managedInterfaces(of: managed, config: config) }
        continue
      }
      // crash-1119…: a long name holding "\r\n", one Character of two bytes, kept them in the comment.
      let comment = ElementComment.of(domain.identity)
      #expect(comment.utf8.count <= ElementComment.kernelLimit)
      #expect(!comment.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }, "\(comment)")
    }
    for input in Self.inputs("hook-data") { _ = try? NetworkHookData.parse(input) }
    for input in Self.inputs("config") { _ = try? ConfigLoader.load(bytes: input, file: "fuzz.yaml") }
    for input in Self.inputs("hook-args") {
      let words = input.split(separator: 0, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
      }
      _ = HookCommandLine.parse(words.dropFirst())
      for kind in HookKind.allCases {
        _ = try? HookInvocation.lenient(kind: kind, arguments: Array(words.dropFirst()))
      }
    }
  }
}
