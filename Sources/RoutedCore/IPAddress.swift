/// An address of either family: what a kernel object (a set element, a route, a proxy neighbour) names, so
/// both families go through the same planner, decisions, records and executor.
public enum IPAddress: Hashable, Comparable, Sendable, TextCodable {
  case v4(IPv4Address)
  case v6(IPv6Address)

  /// IPv6 text when it holds a colon, else dotted-quad IPv4.
  public init?(_ text: some StringProtocol) {
    if text.utf8.contains(UInt8(ascii: ":")) {
      guard let address = IPv6Address(text) else { return nil }
      self = .v6(address)
    } else {
      guard let address = IPv4Address(text) else { return nil }
      self = .v4(address)
    }
  }

  public var description: String {
    switch self {
    case .v4(let address): address.description
    case .v6(let address): address.description
    }
  }

  /// Network-order bytes: 4 or 16.
  public var bytes: [UInt8] {
    switch self {
    case .v4(let address): address.bytes
    case .v6(let address): address.bytes
    }
  }

  public var isV6: Bool {
    if case .v6 = self { return true }
    return false
  }

  public var v4: IPv4Address? {
    if case .v4(let address) = self { return address }
    return nil
  }

  public var v6: IPv6Address? {
    if case .v6(let address) = self { return address }
    return nil
  }

  /// IPv4 first, then IPv6, each in numeric order.
  public static func < (a: IPAddress, b: IPAddress) -> Bool {
    switch (a, b) {
    case (.v4(let x), .v4(let y)): x < y
    case (.v6(let x), .v6(let y)): x < y
    case (.v4, .v6): true
    case (.v6, .v4): false
    }
  }
}

/// A subnet of either family.
public enum IPNetwork: Hashable, Sendable, TextCodable {
  case v4(IPv4Network)
  case v6(IPv6Network)

  public init?(_ text: some StringProtocol) {
    if text.utf8.contains(UInt8(ascii: ":")) {
      guard let network = IPv6Network(text) else { return nil }
      self = .v6(network)
    } else {
      guard let network = IPv4Network(text) else { return nil }
      self = .v4(network)
    }
  }

  /// A host route's prefix: /32 or /128.
  public static func host(_ address: IPAddress) -> IPNetwork {
    switch address {
    case .v4(let address): .v4(.host(address))
    case .v6(let address): .v6(.host(address))
    }
  }

  public var address: IPAddress {
    switch self {
    case .v4(let network): .v4(network.address)
    case .v6(let network): .v6(network.address)
    }
  }

  public var prefixLength: Int {
    switch self {
    case .v4(let network): network.prefixLength
    case .v6(let network): network.prefixLength
    }
  }

  /// Whether this is one address: /32 or /128.
  public var isHost: Bool {
    switch self {
    case .v4(let network): network.prefixLength == 32
    case .v6(let network): network.prefixLength == 128
    }
  }

  public var isV6: Bool {
    if case .v6 = self { return true }
    return false
  }

  public var v4: IPv4Network? {
    if case .v4(let network) = self { return network }
    return nil
  }

  public var v6: IPv6Network? {
    if case .v6(let network) = self { return network }
    return nil
  }

  public func contains(_ address: IPAddress) -> Bool {
    switch (self, address) {
    case (.v4(let network), .v4(let address)): network.contains(address)
    case (.v6(let network), .v6(let address)): network.contains(address)
    default: false
    }
  }

  public func overlaps(_ other: IPNetwork) -> Bool {
    switch (self, other) {
    case (.v4(let a), .v4(let b)): a.overlaps(b)
    case (.v6(let a), .v6(let b)): a.overlaps(b)
    default: false
    }
  }

  public var description: String {
    switch self {
    case .v4(let network): network.description
    case .v6(let network): network.description
    }
  }
}

/// An address with its prefix length, as on an interface, of either family.
public enum IPInterface: Hashable, Sendable, TextCodable {
  case v4(IPv4Interface)
  case v6(IPv6Interface)

  public init?(_ text: some StringProtocol) {
    if text.utf8.contains(UInt8(ascii: ":")) {
      guard let value = IPv6Interface(text) else { return nil }
      self = .v6(value)
    } else {
      guard let value = IPv4Interface(text) else { return nil }
      self = .v4(value)
    }
  }

  public var address: IPAddress {
    switch self {
    case .v4(let value): .v4(value.address)
    case .v6(let value): .v6(value.address)
    }
  }

  public var prefixLength: Int {
    switch self {
    case .v4(let value): value.prefixLength
    case .v6(let value): value.prefixLength
    }
  }

  public var network: IPNetwork {
    switch self {
    case .v4(let value): .v4(value.network)
    case .v6(let value): .v6(value.network)
    }
  }

  public var isV6: Bool {
    if case .v6 = self { return true }
    return false
  }

  public var v4: IPv4Interface? {
    if case .v4(let value) = self { return value }
    return nil
  }

  public var v6: IPv6Interface? {
    if case .v6(let value) = self { return value }
    return nil
  }

  public var description: String {
    switch self {
    case .v4(let value): value.description
    case .v6(let value): value.description
    }
  }
}
