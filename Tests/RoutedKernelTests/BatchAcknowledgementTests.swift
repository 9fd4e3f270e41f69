import CNetlink
import Glibc
import RoutedCore
import Testing

@testable import RoutedKernel

/// A kernel stand-in: answers every message that asks for an ACK, with an errno chosen per message.
final class ScriptedConnection: NetlinkConnection {
  var errorFor: (NetlinkMessage) -> Int32 = { _ in 0 }
  private(set) var sent: [[UInt8]] = []
  private var queue: [[UInt8]] = []

  func send(_ datagram: [UInt8]) throws {
    sent.append(datagram)
    var reply: [UInt8] = []
    for message in NetlinkMessage.split(datagram) where message.flags & UInt16(NLM_F_ACK) != 0 {
      reply += Self.acknowledgement(of: message, error: errorFor(message))
    }
    queue.append(reply)
  }

  func receive() throws -> [UInt8] {
    guard !queue.isEmpty else { throw SystemError("scripted: nothing to receive") }
    return queue.removeFirst()
  }

  /// A capped NLMSG_ERROR for `message`, as the kernel sends with NETLINK_CAP_ACK.
  static func acknowledgement(of message: NetlinkMessage, error: Int32) -> [UInt8] {
    var bytes: [UInt8] = []
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
    append(UInt32(36))
    append(UInt16(NLMSG_ERROR))
    append(UInt16(NLM_F_CAPPED))
    append(message.sequence)
    append(UInt32(0))
    append(-error)
    bytes += message.bytes[0..<16]
    return bytes
  }
}

@Suite struct BatchAcknowledgementTests {
  let egress = OwnedSet(table: .filter, name: "egress", keyType: .addressAndInterface)

  @Test func theFailingMessageNamesTheError() throws {
    let connection = ScriptedConnection()
    let nftables = Nftables(channel: NetlinkChannel(connection: connection))
    var batch = NftBatch()
    let first = SetElementKey(address: IPv4Address("10.136.11.4")!, interface: "osa10")
    let second = SetElementKey(address: IPv4Address("10.136.11.5")!, interface: "osa10")
    batch.addElement(egress, first, comment: "web00")
    batch.addElement(egress, second, comment: "web01")
    // Only the element message carrying 10.136.11.5 fails.
    connection.errorFor = { message in message.bytes.contains(sequence: [10, 136, 11, 5]) ? EEXIST : 0 }
    #expect(
      throws: SystemError(
        #"set inet routed_hook egress: element 10.136.11.5 . "osa10": File exists"#, errno: Errno(EEXIST))
    ) {
      try nftables.commit(batch)
    }
    // One datagram: BEGIN, both elements, END.
    #expect(connection.sent.count == 1)
    #expect(NetlinkMessage.split(connection.sent[0]).count == 4)
  }

  @Test func anEmptyBatchSendsNothing() throws {
    let connection = ScriptedConnection()
    try Nftables(channel: NetlinkChannel(connection: connection)).commit(NftBatch())
    #expect(connection.sent.isEmpty)
  }
}

extension Array where Element == UInt8 {
  func contains(sequence needle: [UInt8]) -> Bool {
    guard needle.count <= count else { return false }
    return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
  }
}
