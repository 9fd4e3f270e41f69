/// Renders a plan as the commands an admin would type for the same change (`ip`, `sysctl`, `nft`).
public enum PlanText {
  public static func render(_ plan: Plan) -> String {
    var out: [String] = []
    if !plan.baseline.isEmpty {
      out.append("# host baseline: created once, idempotently; a guest's stop never removes it")
      out += baselineLines(plan.baseline)
    }
    if !plan.guestChanges.isEmpty {
      let who = plan.domain.map { "\(escaped($0.name)) (\(escaped($0.uuid)))" } ?? "guest"
      out.append("")
      out.append("# guest \(who): set elements, /32 and /128 routes, proxy neighbour entries only")
      out += plan.guestChanges.map(changeLine)
    }
    if out.isEmpty { out.append("# nothing to change") }
    return out.joined(separator: "\n") + "\n"
  }

  /// `text` safe inside a quoted word or a `#` line of a shell script: `"`, `\\`, `$`, `` ` `` and control
  /// characters (a newline would start a new command) become `\\xNN`. Text without them is unchanged.
  public static func escaped(_ text: String) -> String {
    escaping(text) { byte in
      byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
        || byte == UInt8(ascii: "$") || byte == UInt8(ascii: "`")
    }
  }

  /// `text` with control characters as `\\xNN`, so it stays one line (error messages).
  public static func escapedControls(_ text: String) -> String {
    escaping(text) { byte in byte < 0x20 || byte == 0x7F }
  }

  private static func escaping(_ text: String, _ unsafe: (UInt8) -> Bool) -> String {
    guard text.utf8.contains(where: unsafe) else { return text }
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
      if unsafe(byte) {
        out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
      } else {
        out.append(byte)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func baselineLines(_ objects: [KernelObject]) -> [String] {
    var lines: [String] = []
    var elements: [String] = []
    var routes: [String] = []
    for table in OwnedTable.allCases where objects.contains(.table(table)) {
      let sets = objects.compactMap { if case .set(let set) = $0, set.table == table { set } else { nil } }
      let chains = objects.compactMap {
        if case .chain(let chain) = $0, chain.table == table { chain } else { nil }
      }
      lines.append("nft -f - <<'EOF'")
      lines.append(NftSyntax.table(table, sets: sets, chains: chains))
      lines.append("EOF")
    }
    var head: [String] = []
    for object in objects {
      switch object {
      case .link(let interface, let mtu): head.append("ip link set \(interface) mtu \(mtu) up")
      case .address(let interface, let address, let proto):
        head.append(
          "ip\(address.isV6 ? " -6" : "") address add \(address) dev \(interface) proto \(proto)"
            + (address.v6?.address.isLinkLocal == true ? " nodad" : ""))
      case .sysctl(let sysctl): head.append("sysctl -w \(sysctl.description.replacingSpaces())")
      case .element: elements.append(changeLine(.add(object)))
      case .route, .neighbour: routes.append(changeLine(.add(object)))
      case .table, .set, .chain: break
      }
    }
    return head + lines + elements + routes
  }

  /// One object as the command that creates it, without the verb's side: `nft … element …`, `ip route …`.
  public static func objectText(_ object: KernelObject) -> String {
    switch object {
    case .element(let set, let key, let comment):
      "element \(set.table.rawValue) \(set.name) { \(NftSyntax.element(key, comment: comment)) }"
    case .route(let route): "route \(route)"
    default: changeLine(.add(object))
    }
  }

  static func changeLine(_ change: KernelChange) -> String {
    let verb = change.kind == .add ? "add" : "delete"
    switch change.object {
    case .element(let set, let key, let comment):
      return
        "nft \(verb) element \(set.table.rawValue) \(set.name) { \(NftSyntax.element(key, comment: comment)) }"
    case .route(let route):
      return "ip\(route.destination.isV6 ? " -6" : "") route \(change.kind == .add ? "add" : "del") \(route)"
    case .neighbour(let neighbour):
      return "ip -6 neigh \(change.kind == .add ? "add" : "del") \(neighbour)"
    case .address(let interface, let address, let proto):
      return
        "ip\(address.isV6 ? " -6" : "") address \(change.kind == .add ? "add" : "del") \(address) dev \(interface) proto \(proto)"
    case .link(let interface, let mtu):
      return "ip link set \(interface) mtu \(mtu) up"
    case .sysctl(let sysctl):
      return "sysctl -w \(sysctl.description.replacingSpaces())"
    case .table(let table):
      return "nft \(verb) table \(table.rawValue)"
    case .set(let set):
      return "nft \(verb) set \(set.table.rawValue) \(set.name) { type \(NftSyntax.keyType(set.keyType)); }"
    case .chain(let chain):
      return "nft \(verb) chain \(chain.table.rawValue) \(chain.name) { \(NftSyntax.chainHeader(chain)) }"
    }
  }
}

extension String {
  /// `a = 1` → `a=1`, as `sysctl -w` wants it.
  fileprivate func replacingSpaces() -> String { split(separator: " ").joined() }
}
