/// An IPv4 address in host byte order, the lab's own type so the lab shares no code with routed-hook.
public struct LabAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var value: UInt32

  public init(_ value: UInt32) { self.value = value }

  /// Parses dotted-quad text such as `10.136.11.5`; nil for anything else.
  public init?(_ text: some StringProtocol) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var value: UInt32 = 0
    for part in parts {
      guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
        let octet = UInt8(part)
      else { return nil }
      value = value << 8 | UInt32(octet)
    }
    self.value = value
  }

  public var description: String {
    "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
  }

  /// The four octets, most significant first.
  public var octets: [UInt8] { [24, 16, 8, 0].map { UInt8(value >> UInt32($0) & 0xff) } }

  public static func < (a: LabAddress, b: LabAddress) -> Bool { a.value < b.value }
}

/// An address with a prefix length: an interface address (`10.136.11.254/24`) or a network (`10.0.0.0/8`).
public struct LabCIDR: Hashable, Sendable, CustomStringConvertible {
  public var address: LabAddress
  public var prefixLength: Int

  public init(address: LabAddress, prefixLength: Int) {
    self.address = address
    self.prefixLength = prefixLength
  }

  /// Parses `a.b.c.d/n`; nil when either half is malformed.
  public init?(_ text: some StringProtocol) {
    let halves = text.split(separator: "/", omittingEmptySubsequences: false)
    guard halves.count == 2, let address = LabAddress(halves[0]),
      halves[1].allSatisfy({ $0.isASCII && $0.isNumber }),
      let length = Int(halves[1]), (0...32).contains(length)
    else { return nil }
    self.init(address: address, prefixLength: length)
  }

  public var description: String { "\(address)/\(prefixLength)" }

  /// The netmask as a 32-bit value.
  public var mask: UInt32 { prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength) }

  /// The network this address lies in, with host bits cleared.
  public var network: LabCIDR {
    LabCIDR(address: LabAddress(address.value & mask), prefixLength: prefixLength)
  }

  /// True when the address has no host bits set, as a subnet must.
  public var isNetwork: Bool { address.value & ~mask == 0 }

  /// True when `other` lies inside this network.
  public func contains(_ other: LabAddress) -> Bool { other.value & mask == address.value & mask }

  /// True when the whole of `other` lies inside this network.
  public func contains(_ other: LabCIDR) -> Bool {
    other.prefixLength >= prefixLength && contains(other.address)
  }
}
