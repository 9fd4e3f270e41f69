/// An IPv4 address in host byte order.
public struct IPv4Address: Hashable, Comparable, Sendable, TextCodable {
  public var value: UInt32

  public init(_ value: UInt32) { self.value = value }

  /// Parses dotted-quad text such as `10.136.11.5`; nil for anything else.
  public init?(_ text: some StringProtocol) {
    // Byte by byte, as a config may hold thousands (splitting cost 16,000 instructions an address).
    var value: UInt32 = 0
    var octet = 0
    var digits = 0
    var parts = 1
    var leadingZero = false
    for byte in text.utf8 {
      if byte == UInt8(ascii: ".") {
        guard digits > 0, parts < 4 else { return nil }
        value = value << 8 | UInt32(octet)
        octet = 0
        digits = 0
        parts += 1
      } else {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3, !leadingZero || digits == 0
        else { return nil }
        if digits == 0 { leadingZero = byte == UInt8(ascii: "0") }
        octet = octet * 10 + Int(byte - UInt8(ascii: "0"))
        guard octet <= 255 else { return nil }
        digits += 1
      }
    }
    guard parts == 4, digits > 0 else { return nil }
    self.value = value << 8 | UInt32(octet)
  }

  public var description: String {
    "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
  }

  /// The four bytes in network order.
  public var bytes: [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
  }

  /// From four bytes in network order (RTA_DST, IFA_LOCAL, an nft key).
  public init?(networkBytes bytes: some Collection<UInt8>) {
    guard bytes.count == 4 else { return nil }
    self.init(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
  }

  public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}

/// An address with its prefix length, as on an interface: `10.136.11.254/24`.
public struct IPv4Interface: Hashable, Sendable, TextCodable {
  public var address: IPv4Address
  public var prefixLength: Int

  public init(address: IPv4Address, prefixLength: Int) {
    self.address = address
    self.prefixLength = prefixLength
  }

  /// Parses `a.b.c.d/n`; nil when either half is malformed.
  public init?(_ text: some StringProtocol) {
    guard case let (address, length)? = PrefixedAddressText.parse(text, maxLength: 32, address: { IPv4Address($0) })
    else { return nil }
    self.init(address: address, prefixLength: length)
  }

  /// The subnet this address sits in.
  public var network: IPv4Network { IPv4Network(containing: address, prefixLength: prefixLength) }
  public var description: String { "\(address)/\(prefixLength)" }
}

/// A subnet: network address with host bits clear, and a prefix length.
public struct IPv4Network: Hashable, Sendable, TextCodable {
  public private(set) var address: IPv4Address
  public private(set) var prefixLength: Int

  /// The subnet of `prefixLength` bits that contains `address`.
  public init(containing address: IPv4Address, prefixLength: Int) {
    self.prefixLength = prefixLength
    self.address = IPv4Address(address.value & IPv4Network.mask(prefixLength))
  }

  /// Parses `a.b.c.d/n`, refusing host bits set (`10.136.11.5/24` is not a subnet).
  public init?(_ text: some StringProtocol) {
    guard let value = IPv4Interface(text) else { return nil }
    let network = value.network
    guard network.address == value.address else { return nil }
    self = network
  }

  /// A single host route.
  public static func host(_ address: IPv4Address) -> IPv4Network {
    IPv4Network(containing: address, prefixLength: 32)
  }

  static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << (32 - length) }

  public func contains(_ other: IPv4Address) -> Bool {
    other.value & IPv4Network.mask(prefixLength) == address.value
  }

  /// The last address of the subnet.
  public var broadcast: IPv4Address { IPv4Address(address.value | ~IPv4Network.mask(prefixLength)) }

  public func overlaps(_ other: IPv4Network) -> Bool {
    contains(other.address) || other.contains(address)
  }

  public var description: String { "\(address)/\(prefixLength)" }
}
