import CNetlink

@testable import RoutedKernel

/// Passes datagrams through to a real connection and keeps a copy of each one sent.
final class RecordingConnection: NetlinkConnection {
  let inner: any NetlinkConnection
  private(set) var sent: [[UInt8]] = []

  init(_ inner: any NetlinkConnection) { self.inner = inner }

  func send(_ datagram: [UInt8]) throws {
    sent.append(datagram)
    try inner.send(datagram)
  }

  func receive() throws -> [UInt8] { try inner.receive() }

  /// The nft transactions sent: the message types between each BATCH_BEGIN and BATCH_END.
  var transactions: [[UInt16]] {
    sent.compactMap { datagram in
      let types = NetlinkMessage.split(datagram).map(\.type)
      guard types.first == UInt16(NFNL_MSG_BATCH_BEGIN) else { return nil }
      return Array(types.dropFirst().dropLast())
    }
  }

  /// `NFNL_SUBSYS_NFTABLES << 8 | type`, as nftables message types appear on the wire.
  static func nftType(_ type: nf_tables_msg_types) -> UInt16 {
    UInt16(NFNL_SUBSYS_NFTABLES) << 8 | UInt16(type.rawValue)
  }
}
