import RoutedCore

/// Reads one expectation item of a test phase (`reach:`, `arp:`, `nat:` …) from YAML.
enum ExpectationParser {
  static let kinds = [
    "reach", "noReach", "arp", "nat", "path", "pmtu", "hookStatus", "gone", "drops", "doctor", "refused",
    "libvirtLog", "hookMatchesLibvirt", "bgp", "init", "watching",
  ] + IPv6Expectation.keys

  static func parse(_ field: TopologyField) throws -> Expectation {
    let map = try field.mapping(allowed: ["name", "scenario"] + kinds)
    let present = map.fields.filter { kinds.contains($0.key) }
    guard present.count == 1, let (key, body) = present.first else {
      throw field.error("an expectation needs exactly one of: \(kinds.joined(separator: ", "))")
    }
    let kind = try self.kind(key, body)
    return Expectation(
      name: try map["name"]?.string() ?? defaultName(kind), scenario: try map["scenario"]?.string(),
      kind: kind)
  }

  private static func kind(_ key: String, _ body: TopologyField) throws -> ExpectationKind {
    if IPv6Expectation.keys.contains(key) { return .ipv6(try IPv6Expectation.parse(key, body)) }
    switch key {
    case "gone":
      if case .scalar = body.node { return .gone(guest: try body.string()) }
      let map = try body.mapping(allowed: ["host", "address"])
      return .goneAddress(
        host: try map.required("host").string(), address: try map.required("address").address())
    case "hookMatchesLibvirt":
      return .hookMatchesLibvirt(host: try body.string())
    case "watching":
      if case .scalar = body.node { return .watching(host: try body.string(), connects: 1) }
      let map = try body.mapping(allowed: ["host", "connects"])
      return .watching(host: try map.required("host").string(), connects: try map["connects"]?.int(in: 1...1000) ?? 1)
    case "bgp":
      let map = try body.mapping(allowed: ["host", "sessions", "learns", "lacks", "within"])
      return .bgp(
        host: try map.required("host").string(), sessions: try map["sessions"]?.int(in: 0...10000),
        learns: try map["learns"]?.strings() ?? [], lacks: try map["lacks"]?.strings() ?? [],
        within: Double(try map["within"]?.int(in: 1...600) ?? 10))
    case "init":
      return .initConfig(host: try body.mapping(allowed: ["host"]).required("host").string())
    case "libvirtLog":
      let map = try body.mapping(allowed: ["host", "called"])
      return .libvirtLog(host: try map.required("host").string(), called: try map["called"]?.strings() ?? [])
    case "drops":
      let map = try body.mapping(allowed: ["from", "to", "size", "on"])
      return .drops(
        from: try map.required("from").string(), to: try target(map.required("to")),
        size: try map.required("size").int(in: 0...65507), on: try interfaces(map.required("on")))
    case "doctor":
      let map = try body.mapping(allowed: ["host", "finding", "lacks", "critical"])
      let finding = try map["finding"]?.string()
      let lacks = try map["lacks"]?.strings() ?? []
      let critical = try map["critical"]?.bool()
      if finding == nil, lacks.isEmpty, critical == nil {
        throw body.error("a doctor expectation needs finding, lacks or critical")
      }
      return .doctor(
        host: try map.required("host").string(), finding: finding, lacks: lacks, critical: critical)
    case "refused":
      let map = try body.mapping(allowed: ["host", "guest", "config", "peer", "message"])
      let config = try map["config"].map(TopologyParser.configSource)
      let guest = try map["guest"]?.string()
      if guest != nil, let field = map["peer"] {
        throw field.error("a guest start is checked on one host; peer belongs to a config check")
      }
      return .refused(
        host: try map.required("host").string(), guest: guest, config: config,
        peer: try map["peer"]?.string(),
        message: try map.required("message").string())
    case "reach", "noReach":
      let map = try body.mapping(allowed: ["from", "to", "probes", "port", "size"])
      let probes = try (map["probes"]?.strings() ?? ["ping", "tcp"]).map { text in
        guard let probe = Probe(rawValue: text) else {
          throw map["probes"]!.error("'\(text)' is not a probe (ping or tcp)")
        }
        return probe
      }
      return .reach(
        from: try map.required("from").string(), to: try target(map.required("to")), probes: probes,
        port: try map["port"]?.int(in: 1...65535), expected: key == "reach",
        size: try map["size"]?.int(in: 0...65507))
    case "arp":
      let map = try body.mapping(allowed: ["from", "for", "answeredBy"])
      let answerField = try map.required("answeredBy")
      let nobody: Bool
      if case .scalar = answerField.node {
        nobody = try answerField.string() == "nobody"
      } else {
        nobody = false
      }
      return .arp(
        from: try map.required("from").string(), target: try target(map.required("for")),
        answeredBy: nobody ? [] : try interfaces(answerField))
    case "nat":
      let map = try body.mapping(allowed: ["from", "to", "source", "port"])
      return .nat(
        from: try map.required("from").string(), to: try target(map.required("to")),
        source: try interface(map.required("source")), port: try map["port"]?.int(in: 1...65535))
    case "path":
      let map = try body.mapping(allowed: ["from", "to", "via", "notVia", "count"])
      return .path(
        from: try map.required("from").string(), to: try target(map.required("to")),
        via: try interfaces(map.required("via")), notVia: try map["notVia"].map(interfaces) ?? [],
        count: try map["count"]?.int(in: 1...1000) ?? 20)
    case "pmtu":
      let map = try body.mapping(allowed: ["from", "to", "size", "fits"])
      return .pmtu(
        from: try map.required("from").string(), to: try target(map.required("to")),
        size: try map.required("size").int(in: 0...65507), fits: try map.required("fits").bool())
    default:
      let map = try body.mapping(allowed: ["host", "lists", "lacks"])
      return .hookStatus(
        host: try map.required("host").string(), lists: try map["lists"]?.strings() ?? [],
        lacks: try map["lacks"]?.strings() ?? [])
    }
  }

  /// A node name, `node.interface`, or a literal IPv4 address.
  private static func target(_ field: TopologyField) throws -> Target {
    let text = try field.string()
    if let address = IPv4Address(text) { return .address(address) }
    if text.contains(".") { return .interface(try interface(field)) }
    return .node(text)
  }

  private static func interface(_ field: TopologyField) throws -> InterfaceRef {
    let text = try field.string()
    guard let ref = InterfaceRef(text) else {
      throw field.error("'\(text)' is not NODE.INTERFACE (e.g. lpar11.osa10)")
    }
    return ref
  }

  private static func interfaces(_ field: TopologyField) throws -> [InterfaceRef] {
    if case .scalar = field.node { return [try interface(field)] }
    return try field.list().map(interface)
  }

  static func defaultName(_ kind: ExpectationKind) -> String {
    switch kind {
    case .reach(let from, let to, let probes, _, let expected, let size):
      let how = probes.map(\.rawValue).joined(separator: "+") + (size.map { " \($0) B" } ?? "")
      return expected ? "\(from) → \(to) (\(how))" : "\(from) ↛ \(to) (\(how))"
    case .arp(let from, let target, let answeredBy):
      let who = answeredBy.isEmpty ? "nobody" : answeredBy.map(\.description).joined(separator: " + ")
      return "arp \(from) who-has \(target): \(who)"
    case .nat(let from, let to, let source, _):
      return "\(from) → \(to) seen as \(source)"
    case .path(let from, let to, let via, _, _):
      return "\(from) → \(to) via \(via.map(\.description).joined(separator: ", "))"
    case .pmtu(let from, let to, let size, let fits):
      return "DF \(size) B \(from) → \(to) \(fits ? "fits" : "too big")"
    case .hookStatus(let host, let lists, let lacks):
      var parts: [String] = []
      if !lists.isEmpty { parts.append("lists \(lists.joined(separator: ","))") }
      if !lacks.isEmpty { parts.append("lacks \(lacks.joined(separator: ","))") }
      return "hook status \(host) \(parts.joined(separator: "; "))"
    case .gone(let guest):
      return "\(guest) gone from its host"
    case .hookMatchesLibvirt(let host):
      return "routed-hook status on \(host) is clean and matches libvirt's running domains"
    case .libvirtLog(let host, let called):
      let ops = called.isEmpty ? "" : "called for \(called.joined(separator: ", ")); "
      return "libvirtd on \(host): routed-hook \(ops)no hook failure logged"
    case .goneAddress(let host, let address):
      return "\(address) gone from \(host)"
    case .drops(let from, let to, let size, let on):
      return "\(size) B \(from) → \(to) dropped at \(on.map(\.description).joined(separator: ", "))"
    case .doctor(let host, let finding, let lacks, let critical):
      var parts: [String] = []
      if let finding { parts.append("names \(finding)") }
      if !lacks.isEmpty { parts.append("not \(lacks.joined(separator: ","))") }
      if let critical { parts.append(critical ? "critical" : "nothing critical") }
      return "doctor \(host) \(parts.joined(separator: "; "))"
    case .bgp(let host, let sessions, let learns, let lacks, _):
      var parts: [String] = []
      if let sessions { parts.append("\(sessions) sessions up") }
      if !learns.isEmpty { parts.append("learns \(learns.joined(separator: ","))") }
      if !lacks.isEmpty { parts.append("not \(lacks.joined(separator: ","))") }
      return "bgp \(host): \(parts.joined(separator: "; "))"
    case .refused(let host, let guest, _, let peer, let message):
      let what = guest.map { "prepare \($0)" } ?? (peer.map { "check --peer \($0)" } ?? "check")
      return "\(host) refuses \(what): \"\(message)\""
    case .initConfig(let host):
      return "routed-hook init on \(host): check accepts it, modes as the lab's config"
    case .watching(let host, let connects):
      return "routed-hook watch runs on \(host)" + (connects > 1 ? ", libvirt connected \(connects)× or more" : "")
    case .ipv6(let row):
      return row.defaultName
    }
  }
}
