/// Reads the host config's `bgp:` section (see `BGPConfig`); rules that need the whole config are
/// `BGPValidator`'s.
enum BGPConfigParser {
  static func parse(_ field: YAMLField, lines: inout SourceLines) throws -> BGPConfig {
    let fields = try MappingFields(
      field,
      allowed: [
        "asn", "uplink", "routerId", "prefixes", "neighbours", "routeReflectors", "clients", "holdTime", "bfd",
        "gracefulRestart",
      ],
      lines: &lines)
    var neighbours: [BGPNeighbour] = []
    for (key, role) in [
      ("neighbours", BGPNeighbour.Role.peer), ("routeReflectors", .reflector), ("clients", .client),
    ] {
      for entry in try fields[key]?.sequence() ?? [] {
        neighbours.append(try neighbour(entry, role: role, lines: &lines))
      }
    }
    var config = BGPConfig(
      asn: try asn(try fields.required("asn")),
      uplink: try fields.required("uplink").string(),
      routerID: try fields["routerId"]?.value("an IPv4 address, like 172.31.56.1", IPv4Address.init),
      prefixes: try fields.required("prefixes").sequence().map { prefix in
        lines.note([prefix])
        return try prefix.value("an IPv4 or IPv6 subnet, like 10.136.0.0/16 or fd00:136::/48", IPNetwork.init)
      },
      neighbours: neighbours)
    if let hold = fields["holdTime"] { config.holdTime = try hold.int(in: 3...65535) }
    if let bfd = fields["bfd"] { config.bfd = try self.bfd(bfd, lines: &lines) }
    if let restart = fields["gracefulRestart"] {
      config.restartTime = try gracefulRestart(restart, lines: &lines)
    }
    return config
  }

  /// `172.31.56.2`, or `{ address: 172.31.56.2, asn: 65001 }` for a neighbour in another AS; an IPv6 address
  /// (`fd00:56::12`) for a session that carries the IPv6 guest routes.
  private static func neighbour(_ field: YAMLField, role: BGPNeighbour.Role, lines: inout SourceLines) throws
    -> BGPNeighbour
  {
    lines.note([field])
    if case .scalar = field.node {
      return BGPNeighbour(address: try field.value("an IPv4 or IPv6 address", IPAddress.init), role: role)
    }
    let parts = try field.mapping(allowed: ["address", "asn"])
    lines.note(parts.values)
    guard let address = parts["address"] else { throw field.error("a neighbour needs an address") }
    return BGPNeighbour(
      address: try address.value("an IPv4 or IPv6 address", IPAddress.init), asn: try parts["asn"].map(asn),
      role: role)
  }

  private static func asn(_ field: YAMLField) throws -> UInt32 {
    let value = try field.int(in: 1...Int(UInt32.max))
    // AS_TRANS stands in for a 4-byte AS towards old speakers; no router may use it as its own.
    guard value != 23456 else { throw field.error("23456 is AS_TRANS (RFC 6793) and cannot be used") }
    return UInt32(value)
  }

  /// `bfd: false`, `bfd: true`, or `bfd: { interval: 100, multiplier: 3 }` (milliseconds, missed packets).
  private static func bfd(_ field: YAMLField, lines: inout SourceLines) throws -> BFDSettings? {
    if let flag = try flag(field) { return flag ? BFDSettings() : nil }
    let parts = try field.mapping(allowed: ["interval", "multiplier"])
    lines.note(parts.values)
    var settings = BFDSettings()
    if let interval = parts["interval"] { settings.interval = try interval.int(in: 10...10000) }
    if let multiplier = parts["multiplier"] { settings.multiplier = try multiplier.int(in: 1...255) }
    return settings
  }

  /// `gracefulRestart: false`, `true`, or `{ restartTime: 120 }` (seconds; the BGP field has 12 bits).
  private static func gracefulRestart(_ field: YAMLField, lines: inout SourceLines) throws -> Int? {
    if let flag = try flag(field) { return flag ? BGPConfig.defaultRestartTime : nil }
    let parts = try field.mapping(allowed: ["restartTime"])
    lines.note(parts.values)
    return try parts["restartTime"]?.int(in: 1...4095) ?? BGPConfig.defaultRestartTime
  }

  /// true or false for a boolean scalar, nil for a mapping.
  private static func flag(_ field: YAMLField) throws -> Bool? {
    guard case .scalar(let text, _) = field.node else { return nil }
    switch text {
    case "true": return true
    case "false": return false
    default: throw field.error("expected true, false or a mapping")
    }
  }
}
