/// An Ethernet MAC address, kept in lower-case colon form so comparisons ignore case.
public struct MACAddress: Hashable, Sendable, TextCodable {
  public let description: String

  /// Parses `52:54:00:11:00:05` in any case (libvirt's docs also show `52:54:0:7b:35:93`); nil for anything else.
  public init?(_ text: some StringProtocol) {
    // Byte by byte: splitting and Character tests cost 28,000 instructions a MAC, and a config may list
    // 4,000 of them. Hand-appended, too: `joined(separator:)` costs a run-time conformance scan.
    var out: [UInt8] = []
    out.reserveCapacity(17)
    var digits = 0
    var parts = 1
    func hex(_ byte: UInt8) -> UInt8? {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): byte
      case UInt8(ascii: "A")...UInt8(ascii: "F"): byte + 0x20
      default: nil
      }
    }
    for byte in text.utf8 {
      if byte == UInt8(ascii: ":") {
        guard digits > 0, parts < 6 else { return nil }
        if digits == 1 { out.insert(UInt8(ascii: "0"), at: out.count - 1) }
        out.append(byte)
        digits = 0
        parts += 1
      } else {
        guard let digit = hex(byte), digits < 2 else { return nil }
        out.append(digit)
        digits += 1
      }
    }
    guard parts == 6, digits > 0 else { return nil }
    if digits == 1 { out.insert(UInt8(ascii: "0"), at: out.count - 1) }
    description = String(decoding: out, as: UTF8.self)
  }
}
