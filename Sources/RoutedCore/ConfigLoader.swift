/// Reads the host config from YAML and validates it, naming file, line and field in every error.
public enum ConfigLoader {
  /// The default config path; `--config` or `ROUTED_HOOK_CONFIG` override it.
  public static let defaultPath = "/etc/libvirt/routed-hook.yaml"
  /// The largest config any command reads: a host with 4,000 guests in `domains:` needs about 400 KiB.
  /// `check`, `plan` and the hook share it, so no config passes one and fails the other.
  public static let maximumSize = 1 << 20

  /// Parses and validates the file's bytes: at most `maximumSize`, and UTF-8 throughout.
  public static func load(bytes: [UInt8], file: String, facts: HostFacts? = nil) throws -> HostConfig {
    guard bytes.count <= maximumSize else {
      throw ConfigError(
        file: file, line: nil, field: "",
        message: "\(bytes.count) bytes is over the \(maximumSize >> 20) MiB limit for a config")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      let end = firstInvalidUTF8(bytes) ?? 0
      let line = 1 + bytes[..<end].lazy.filter { $0 == 0x0A }.count
      throw ConfigError(file: file, line: line, field: "", message: "not valid UTF-8")
    }
    return try load(yaml: text, file: file, facts: facts)
  }

  /// Parses and validates `yaml`; `file` names it in errors. `facts`, when given, adds the live-host checks.
  public static func load(yaml: String, file: String, facts: HostFacts? = nil) throws -> HostConfig {
    let root: YAMLNode
    do {
      guard let node = try YAMLNode.compose(yaml) else {
        throw ConfigError(file: file, line: nil, field: "", message: "the file is empty")
      }
      root = node
    } catch let error as YAMLSyntaxError {
      throw ConfigError(file: file, line: error.line, field: "", message: "not valid YAML: \(error.problem)")
    }
    var lines = SourceLines()
    let config = try parse(YAMLField(node: root, path: "", file: file), lines: &lines)
    if let problem = ConfigValidator.problems(in: config, facts: facts).first {
      throw ConfigError(
        file: file, line: lines.line(for: problem.field), field: problem.field, message: problem.message)
    }
    return config
  }

  /// The offset of the first byte that starts no valid UTF-8 sequence (only asked after validation failed).
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var index = 0
    while index < bytes.count {
      let lead = bytes[index]
      let more: Int
      switch lead {
      case 0..<0x80:
        index += 1
        continue
      case 0xC2...0xDF: more = 1
      case 0xE0...0xEF: more = 2
      case 0xF0...0xF4: more = 3
      default: return index
      }
      guard index + more < bytes.count, String(validating: bytes[index...(index + more)], as: UTF8.self) != nil
      else { return index }
      index += more + 1
    }
    return nil
  }

  private static func parse(_ root: YAMLField, lines: inout SourceLines) throws -> HostConfig {
    let fields = try root.mapping(allowed: ["routeProtocol", "guestNetworks", "uplinks", "domains", "bgp"])
    lines.note(fields.values)
    var config = HostConfig(guestNetworks: [], uplinks: [])
    if let field = fields["routeProtocol"] {
      config.routeProtocol = UInt8(try field.int(in: 0...255))
    }
    guard let networks = fields["guestNetworks"] else { throw root.error("guestNetworks is required") }
    config.guestNetworks = try networks.sequence().map { try parseNetwork($0, lines: &lines) }
    config.uplinks = try fields["uplinks"]?.sequence().map { try parseUplink($0, lines: &lines) } ?? []
    if let domains = fields["domains"] {
      guard case .mapping(let mapping, _) = domains.node else {
        throw domains.error("expected a mapping of domain names")
      }
      for (key, value) in mapping {
        guard let name = key.string else { throw domains.error("domain names must be strings") }
        let entry = YAMLField(node: value, path: "domains.\(name)", file: root.file)
        guard config.domains[name] == nil else { throw entry.error("domain \(name) is listed twice") }
        lines.note([entry])
        config.domains[name] = try entry.sequence().map { try parseGuestAddress($0, lines: &lines) }
      }
    }
    config.bgp = try fields["bgp"].map { try BGPConfigParser.parse($0, lines: &lines) }
    return config
  }

  private static func parseNetwork(_ field: YAMLField, lines: inout SourceLines) throws -> GuestNetwork {
    let fields = try MappingFields(
      field, allowed: ["name", "bridge", "libvirtNetwork", "gateway", "gateway6", "mtu", "uplinks"],
      lines: &lines)
    return GuestNetwork(
      name: try fields.required("name").string(),
      bridge: try fields.required("bridge").string(),
      libvirtNetwork: try fields["libvirtNetwork"]?.string(),
      gateway: try fields.required("gateway").value(
        "an IPv4 address with prefix, like 10.136.11.254/24", IPv4Interface.init),
      gateway6: try fields["gateway6"]?.value(
        "an IPv6 address with prefix, like fd00:10::136:11:fffe/112", IPv6Interface.init),
      mtu: try fields["mtu"]?.int(in: Int.min...Int.max) ?? 1500,
      uplinks: try fields["uplinks"]?.words() ?? []
    )
  }

  private static func parseUplink(_ field: YAMLField, lines: inout SourceLines) throws -> Uplink {
    let fields = try MappingFields(
      field, allowed: ["name", "interface", "mode", "layer", "peers", "address", "address6"], lines: &lines)
    // Spelled out only for the error message: `joined` costs a run-time conformance scan.
    var modes: String { UplinkMode.allCases.map(\.rawValue).joined(separator: ", ") }
    var uplink = Uplink(
      name: try fields.required("name").string(),
      interface: try fields.required("interface").string(),
      mode: try fields.required("mode").value("a mode (\(modes))", UplinkMode.init(rawValue:)),
      layer: try fields["layer"]?.int(in: 2...3) ?? 2,
      address: try fields["address"]?.value(
        "an IPv4 address with prefix, like 172.31.56.1/24", IPv4Interface.init),
      address6: try fields["address6"]?.value(
        "an IPv6 address with prefix, like fd00:31:56::1/64", IPv6Interface.init)
    )
    uplink.peers =
      try fields["peers"]?.sequence().map { peer in
        let parts = try MappingFields(peer, allowed: ["subnet", "via", "subnet6", "via6"], lines: &lines)
        guard let subnet = parts["subnet"], let via = parts["via"] else {
          throw peer.error("a peer needs subnet and via (subnet6 and via6 add its IPv6 guests)")
        }
        return PeerRoute(
          subnet: try subnet.value("an IPv4 subnet, like 10.136.12.0/24", IPv4Network.init),
          via: try via.value("an IPv4 address", IPv4Address.init),
          subnet6: try parts["subnet6"]?.value("an IPv6 subnet, like fd00:10::136:12:0/112", IPv6Network.init),
          via6: try parts["via6"]?.value("an IPv6 address", IPv6Address.init)
        )
      } ?? []
    return uplink
  }

  private static func parseGuestAddress(_ field: YAMLField, lines: inout SourceLines) throws -> GuestAddress {
    // Not through MappingFields: a config may hold thousands of these, and its copy of the mapping (kept for
    // `required`, which an entry does not use) cost 0.5 % of a hook call at 4,000 entries (callgrind).
    let fields = try field.mapping(allowed: ["mac", "address", "address6", "uplinks"])
    lines.note([field] + fields.values)
    guard let mac = fields["mac"], fields["address"] != nil || fields["address6"] != nil else {
      throw field.error("an entry needs mac and address (or address6)")
    }
    return GuestAddress(
      mac: try mac.value("a MAC address", MACAddress.init),
      address: try fields["address"]?.value("an IPv4 address", IPv4Address.init),
      address6: try fields["address6"]?.value("an IPv6 address, like fd00:10::136:11:5", IPv6Address.init),
      uplinks: try fields["uplinks"]?.words()
    )
  }
}

/// Field path → line, so validation problems found on the parsed model still point into the file.
struct SourceLines {
  private var lines: [String: Int] = [:]

  mutating func note(_ fields: some Sequence<YAMLField>) {
    for field in fields { lines[field.path] = field.line }
  }

  /// The line of `field`, or of its nearest enclosing field.
  func line(for field: String) -> Int? {
    var path = Substring(field)
    while !path.isEmpty {
      if let line = lines[String(path)] { return line }
      guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
      path = path[..<cut]
    }
    return nil
  }
}
