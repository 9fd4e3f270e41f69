/// An IPv6 address, as two 64-bit halves in host order (`high` holds the first eight bytes).
public struct IPv6Address: Hashable, Comparable, Sendable, TextCodable {
  public var high: UInt64
  public var low: UInt64

  public init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// `::`, the unspecified address (a DAD probe's source).
  public static let unspecified = IPv6Address(high: 0, low: 0)

  /// Parses RFC 4291 text (`fd00:10::136:11:5`, `::`, `fe80::1`; hex digits in either case, at most one
  /// `::`, no zone and no dotted IPv4 tail); nil for anything else. Byte by byte, like IPv4's parser: a
  /// config may hold thousands.
  public init?(_ text: some StringProtocol) {
    var groups: [UInt16] = []
    groups.reserveCapacity(8)
    var gap: Int? = nil
    var value: UInt32 = 0
    var digits = 0
    var previousColon = false
    var index = 0
    let bytes = text.utf8
    let count = bytes.count
    guard count >= 2, count <= 39 else { return nil }
    for byte in bytes {
      if byte == UInt8(ascii: ":") {
        if previousColon {
          // `::`: at most once.
          guard gap == nil else { return nil }
          gap = groups.count
        } else if digits > 0 {
          groups.append(UInt16(value))
          value = 0
          digits = 0
        } else if index != 0 {
          return nil
        } else {
          // A leading single colon must be the start of `::`.
          guard count > 1, bytes.dropFirst().first == UInt8(ascii: ":") else { return nil }
        }
        previousColon = true
      } else {
        guard let nibble = Self.hexValue(byte), digits < 4 else { return nil }
        value = value << 4 | UInt32(nibble)
        digits += 1
        previousColon = false
      }
      index += 1
    }
    if digits > 0 {
      groups.append(UInt16(value))
    } else if !(previousColon && gap == groups.count) {
      // Ends in a single colon.
      return nil
    }
    guard groups.count <= 8 else { return nil }
    if let gap {
      guard groups.count < 8 else { return nil }
      groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: gap)
    } else {
      guard groups.count == 8 else { return nil }
    }
    var high: UInt64 = 0
    var low: UInt64 = 0
    for group in groups[0..<4] { high = high << 16 | UInt64(group) }
    for group in groups[4..<8] { low = low << 16 | UInt64(group) }
    self.init(high: high, low: low)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// The eight 16-bit groups.
  public var groups: [UInt16] {
    (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
      + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
  }

  /// RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups (the first of
  /// equal runs) as `::`.
  public var description: String {
    let groups = self.groups
    var bestStart = -1
    var bestLength = 1
    var start = -1
    for index in 0...8 {
      if index < 8 && groups[index] == 0 {
        if start < 0 { start = index }
      } else if start >= 0 {
        if index - start > bestLength {
          bestStart = start
          bestLength = index - start
        }
        start = -1
      }
    }
    var text = ""
    var index = 0
    while index < 8 {
      if index == bestStart {
        text += "::"
        index += bestLength
        continue
      }
      if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
      text += String(groups[index], radix: 16)
      index += 1
    }
    return text
  }

  /// The sixteen bytes in network order.
  public var bytes: [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
      + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
  }

  /// From sixteen bytes in network order (RTA_DST, IFA_ADDRESS, NDA_DST, an nft key).
  public init?(networkBytes bytes: some Collection<UInt8>) {
    guard bytes.count == 16 else { return nil }
    var high: UInt64 = 0
    var low: UInt64 = 0
    for (index, byte) in bytes.enumerated() {
      if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
    }
    self.init(high: high, low: low)
  }

  /// fe80::/10: never forwarded; NDP, router solicitations and MLD use it.
  public var isLinkLocal: Bool { high >> 54 == 0x3fa }
  /// ff00::/8.
  public var isMulticast: Bool { high >> 56 == 0xff }
  public var isUnspecified: Bool { high == 0 && low == 0 }
  public var isLoopback: Bool { high == 0 && low == 1 }

  public static func < (a: IPv6Address, b: IPv6Address) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// An IPv6 address with its prefix length, as on an interface: `fd00:10::136:11:fffe/112`.
public struct IPv6Interface: Hashable, Sendable, TextCodable {
  public var address: IPv6Address
  public var prefixLength: Int

  public init(address: IPv6Address, prefixLength: Int) {
    self.address = address
    self.prefixLength = prefixLength
  }

  /// Parses `ADDRESS/n` with n in 0–128.
  public init?(_ text: some StringProtocol) {
    guard case let (address, length)? = PrefixedAddressText.parse(text, maxLength: 128, address: { IPv6Address($0) })
    else { return nil }
    self.init(address: address, prefixLength: length)
  }

  public var network: IPv6Network { IPv6Network(containing: address, prefixLength: prefixLength) }
  public var description: String { "\(address)/\(prefixLength)" }

  /// `fe80::1/64`: the guests' default router on every host's guest bridge, so a guest that moves keeps
  /// its route (Calico's choice for the same reason).
  public static let linkLocalGateway = IPv6Interface(
    address: IPv6Address(high: 0xfe80 << 48, low: 1), prefixLength: 64)
}

/// An IPv6 subnet: host bits clear.
public struct IPv6Network: Hashable, Sendable, TextCodable {
  public private(set) var address: IPv6Address
  public private(set) var prefixLength: Int

  public init(containing address: IPv6Address, prefixLength: Int) {
    self.prefixLength = prefixLength
    let (high, low) = IPv6Network.mask(prefixLength)
    self.address = IPv6Address(high: address.high & high, low: address.low & low)
  }

  /// Parses `ADDRESS/n`, refusing host bits set.
  public init?(_ text: some StringProtocol) {
    guard let value = IPv6Interface(text) else { return nil }
    let network = value.network
    guard network.address == value.address else { return nil }
    self = network
  }

  public static func host(_ address: IPv6Address) -> IPv6Network {
    IPv6Network(containing: address, prefixLength: 128)
  }

  static func mask(_ length: Int) -> (UInt64, UInt64) {
    let high: UInt64 = length <= 0 ? 0 : length >= 64 ? .max : .max << (64 - UInt64(length))
    let low: UInt64 = length <= 64 ? 0 : length >= 128 ? .max : .max << (128 - UInt64(length))
    return (high, low)
  }

  public func contains(_ other: IPv6Address) -> Bool {
    let (high, low) = IPv6Network.mask(prefixLength)
    return other.high & high == address.high && other.low & low == address.low
  }

  public func overlaps(_ other: IPv6Network) -> Bool { contains(other.address) || other.contains(address) }

  public var description: String { "\(address)/\(prefixLength)" }
}
