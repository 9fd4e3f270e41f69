import RoutedCore

/// The IPv6 rows of the expectation matrix (`reach6`, `noReach6`, `nat6`, `ndp`, `spoof6`, `dad`): the same
/// claims as the IPv4 rows where IPv6 has the same form, and the two where it differs (neighbour discovery
/// answered by proxy entries, duplicate address detection).
public enum IPv6Expectation: Sendable, Equatable {
  /// `from` reaches `to`'s IPv6 address (or, `expected` false, does not) by `ping` and/or a TCP connect.
  case reach(from: String, to: Target6, probes: [Probe], expected: Bool)
  /// A TCP connection from `from` to `to` arrives with `source`'s IPv6 address as its source (NAT66).
  case nat(from: String, to: Target6, source: InterfaceRef)
  /// A neighbour solicitation from `from` for `target` is answered by exactly the MACs of `answeredBy`
  /// (empty: by nobody), as seen by `tcpdump` on `from`'s link: every advertisement, whoever sends it.
  case ndp(from: String, target: Target6, answeredBy: [InterfaceRef])
  /// Pings from guest `from` to `to` with `source` (an address the guest does not own, added to its NIC for
  /// the row) get no reply, while the same pings from its own address do: anti-spoofing.
  case spoof(from: String, to: Target6, source: IPv6Address)
  /// Guest `guest` adds `address` with duplicate address detection: it fails (someone on the link answered
  /// the probe, whose source is `::`) or it passes.
  case dad(guest: String, address: IPv6Address, fails: Bool)
  /// `on`'s neighbour entry for `target` holds `holds`'s MAC, read as it is (`ip -j -6 neigh`), without a
  /// solicitation: what an unsolicited advertisement moved, or did not (a migration's handover).
  case entry(on: String, target: Target6, holds: InterfaceRef)

  static let keys = ["reach6", "noReach6", "nat6", "ndp", "spoof6", "dad", "neighbour6"]

  static func parse(_ key: String, _ body: TopologyField) throws -> IPv6Expectation {
    switch key {
    case "reach6", "noReach6":
      let map = try body.mapping(allowed: ["from", "to", "probes"])
      let probes = try (map["probes"]?.strings() ?? ["ping", "tcp"]).map { text in
        guard let probe = Probe(rawValue: text) else {
          throw map["probes"]!.error("'\(text)' is not a probe (ping or tcp)")
        }
        return probe
      }
      let toField = try map.required("to")
      let to = try target(toField)
      if case .address(_, zone: .some) = to, probes.contains(.tcp) {
        throw toField.error("a link-local target with a zone takes probes: [ping]")
      }
      return .reach(from: try map.required("from").string(), to: to, probes: probes, expected: key == "reach6")
    case "nat6":
      let map = try body.mapping(allowed: ["from", "to", "source"])
      return .nat(
        from: try map.required("from").string(), to: try target(map.required("to")),
        source: try interface(map.required("source")))
    case "ndp":
      let map = try body.mapping(allowed: ["from", "for", "answeredBy"])
      let answerField = try map.required("answeredBy")
      var answeredBy: [InterfaceRef] = []
      if case .scalar = answerField.node {
        if try answerField.string() != "nobody" { answeredBy = [try interface(answerField)] }
      } else {
        answeredBy = try answerField.list().map(interface)
      }
      return .ndp(from: try map.required("from").string(), target: try target(map.required("for")), answeredBy: answeredBy)
    case "spoof6":
      let map = try body.mapping(allowed: ["from", "to", "source"])
      return .spoof(
        from: try map.required("from").string(), to: try target(map.required("to")),
        source: try map.required("source").address6())
    case "neighbour6":
      let map = try body.mapping(allowed: ["on", "for", "holds"])
      return .entry(
        on: try map.required("on").string(), target: try target(map.required("for")),
        holds: try interface(map.required("holds")))
    default:
      let map = try body.mapping(allowed: ["guest", "address", "fails"])
      return .dad(
        guest: try map.required("guest").string(), address: try map.required("address").address6(),
        fails: try map.required("fails").bool())
    }
  }

  /// A node name (its IPv6 address), `node.interface`, or a literal IPv6 address (`fe80::1%eth0` too).
  static func target(_ field: TopologyField) throws -> Target6 {
    let text = try field.string()
    if text.contains(":") {
      // A zone (`%eth0`) names the link a link-local target is on; ping takes it as written.
      let parts = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
      guard let address = IPv6Address(parts[0]), parts.count == 1 || !parts[1].isEmpty else {
        throw field.error("'\(text)' is not an IPv6 address")
      }
      return .address(address, zone: parts.count == 2 ? String(parts[1]) : nil)
    }
    if text.contains(".") { return .interface(try interface(field)) }
    return .node(text)
  }

  static func interface(_ field: TopologyField) throws -> InterfaceRef {
    let text = try field.string()
    guard let ref = InterfaceRef(text) else {
      throw field.error("'\(text)' is not NODE.INTERFACE (e.g. lpar11.osa10)")
    }
    return ref
  }

  var defaultName: String {
    switch self {
    case .reach(let from, let to, let probes, let expected):
      let how = probes.map(\.rawValue).joined(separator: "+")
      return expected ? "v6 \(from) → \(to) (\(how))" : "v6 \(from) ↛ \(to) (\(how))"
    case .nat(let from, let to, let source):
      return "v6 \(from) → \(to) seen as \(source) (NAT66)"
    case .ndp(let from, let target, let answeredBy):
      let who = answeredBy.isEmpty ? "nobody" : answeredBy.map(\.description).joined(separator: " + ")
      return "ndp \(from) solicits \(target): \(who)"
    case .spoof(let from, let to, let source):
      return "v6 \(from) → \(to) from spoofed \(source): dropped"
    case .dad(let guest, let address, let fails):
      return "DAD of \(address) on \(guest) \(fails ? "fails" : "passes")"
    case .entry(let on, let target, let holds):
      return "\(on)'s neighbour entry for \(target) holds \(holds)'s MAC, unsolicited"
    }
  }
}

/// An IPv6 target: a node (its guest `address6`, or its first interface's), one interface, or a literal with
/// the zone a link-local one needs (`fe80::1%eth0`).
public enum Target6: Sendable, Equatable, CustomStringConvertible {
  case node(String)
  case interface(InterfaceRef)
  case address(IPv6Address, zone: String?)

  public var description: String {
    switch self {
    case .node(let name): return name
    case .interface(let ref): return ref.description
    case .address(let address, let zone): return address.description + (zone.map { "%\($0)" } ?? "")
    }
  }
}
