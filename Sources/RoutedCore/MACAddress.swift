/// An Ethernet MAC address, kept in lower-case colon form so comparisons ignore case.
public struct MACAddress: Hashable, Sendable, TextCodable {
  public let description: String

  /// Parses `52:54:00:11:00:05` in any case (libvirt's docs also show `52:54:0:7b:35:93`); nil for anything else.
  public init?(_ text: some StringProtocol) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6 else { return nil }
    // Appended by hand: `joined(separator:)` runs unspecialized and looks up a protocol conformance at
    // run time, which scans every conformance in the binary once per hook call.
    var text = ""
    text.reserveCapacity(17)
    for part in parts {
      guard (1...2).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
      if !text.isEmpty { text += ":" }
      if part.count == 1 { text += "0" }
      text += part.lowercased()
    }
    description = text
  }
}
