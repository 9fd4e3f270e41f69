import Foundation
import Testing

@testable import RoutedKernel

/// A recorded netlink buffer from Fixtures/*.hex (see Fixtures/record-golden.sh for how they were made).
struct GoldenFixture {
  /// The command strace watched.
  var command: String
  var bytes: [UInt8]

  init(_ name: String) throws {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "hex"))
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    command = lines.first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) } ?? ""
    bytes = lines.filter { !$0.hasPrefix("#") }.flatMap { $0.split(separator: " ") }.map {
      UInt8($0, radix: 16)!
    }
  }

  /// The messages with the fields that legitimately differ cleared: sequence numbers and port ids
  /// (per process), and NLM_F_ACK, which routed-hook sets on every message so it can account for each one.
  static func normalized(_ bytes: [UInt8]) -> [[UInt8]] {
    NetlinkMessage.split(bytes).map { message in
      var bytes = message.bytes
      bytes[6] &= ~UInt8(NLM_F_ACK_BIT)
      for index in 8..<16 { bytes[index] = 0 }
      return bytes
    }
  }

  /// Hex lines of 16 bytes, for readable failure output.
  static func hex(_ bytes: [UInt8]) -> String {
    stride(from: 0, to: bytes.count, by: 16).map { start in
      bytes[start..<min(start + 16, bytes.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
    }.joined(separator: "\n")
  }
}

/// NLM_F_ACK (0x4) in the low byte of nlmsg_flags.
private let NLM_F_ACK_BIT = 0x4
