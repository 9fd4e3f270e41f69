import RoutedCore

/// An Ethernet MAC address, written `52:54:00:11:00:05`.
public struct LabMAC: Hashable, Sendable, CustomStringConvertible {
  public var bytes: [UInt8]

  public init(bytes: [UInt8]) {
    precondition(bytes.count == 6, "a MAC address has six bytes")
    self.bytes = bytes
  }

  /// Parses six colon-separated hex pairs; nil for anything else.
  public init?(_ text: some StringProtocol) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6 else { return nil }
    var bytes: [UInt8] = []
    for part in parts {
      guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
      bytes.append(byte)
    }
    self.bytes = bytes
  }

  public var description: String {
    bytes.map { byte in
      let hex = String(byte, radix: 16)
      return hex.count == 1 ? "0" + hex : hex
    }.joined(separator: ":")
  }

  /// True for a multicast or broadcast address, which no NIC may carry.
  public var isMulticast: Bool { bytes[0] & 1 == 1 }

  /// The MAC libvirt gives the host side (tap) of a guest NIC: the guest's MAC with the first byte 0xfe.
  public var tapSide: LabMAC {
    var copy = bytes
    copy[0] = 0xfe
    return LabMAC(bytes: copy)
  }

  /// A locally administered MAC in the 52:54:00 (QEMU) range, derived from an address's last three octets.
  public static func derived(from address: IPv4Address) -> LabMAC {
    LabMAC(bytes: [0x52, 0x54, 0x00] + address.bytes.suffix(3))
  }
}
