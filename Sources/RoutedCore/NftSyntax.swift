/// nft syntax for owned objects, as `nft list ruleset` prints them: the words admins know.
public enum NftSyntax {
  public static func rule(_ rule: Rule) -> String {
    switch rule {
    case .dropSpoofed(let bridge, let set): "iifname \(quoted(bridge)) ip saddr != @\(set) drop"
    case .acceptBridged(let bridge): "iifname \(quoted(bridge)) oifname \(quoted(bridge)) accept"
    case .acceptEgress(let bridge, let set): "iifname \(quoted(bridge)) ip saddr . oifname @\(set) accept"
    case .acceptIngress(let bridge, let set): "oifname \(quoted(bridge)) ip daddr . iifname @\(set) accept"
    case .acceptReplies(let bridge): "oifname \(quoted(bridge)) ct state established,related accept"
    case .dropFromBridge(let bridge): "iifname \(quoted(bridge)) drop"
    case .dropToBridge(let bridge): "oifname \(quoted(bridge)) drop"
    case .masquerade(let set): "ip saddr . oifname @\(set) masquerade"
    case .dropARPRequests(let interface, let set):
      "iifname \(quoted(interface)) arp operation request arp daddr ip != @\(set) drop"
    case .dropSpoofed6(let bridge, let set):
      "iifname \(quoted(bridge)) ip6 saddr != :: ip6 saddr != fe80::/10 ip6 saddr != @\(set) drop"
    case .acceptEgress6(let bridge, let set): "iifname \(quoted(bridge)) ip6 saddr . oifname @\(set) accept"
    case .acceptIngress6(let bridge, let set): "oifname \(quoted(bridge)) ip6 daddr . iifname @\(set) accept"
    case .masquerade6(let set): "ip6 saddr . oifname @\(set) masquerade"
    }
  }

  /// `type ipv4_addr` or `type ipv4_addr . ifname`.
  public static func keyType(_ type: SetKeyType) -> String {
    switch type {
    case .address: "ipv4_addr"
    case .addressAndInterface: "ipv4_addr . ifname"
    case .address6: "ipv6_addr"
    case .address6AndInterface: "ipv6_addr . ifname"
    }
  }

  /// The chain header line: `type filter hook forward priority 0; policy accept;`.
  public static func chainHeader(_ chain: OwnedChain) -> String {
    "type \(chain.kind.rawValue) hook \(chain.hook.rawValue) priority \(chain.priority); policy accept;"
  }

  public static func element(_ key: SetElementKey, comment: String) -> String {
    "\(key) comment \(quoted(comment))"
  }

  /// A table with its sets and chains, in `nft -f` form.
  public static func table(_ table: OwnedTable, sets: [OwnedSet], chains: [OwnedChain]) -> String {
    var lines = ["table \(table.rawValue) {"]
    for set in sets {
      lines.append("  set \(set.name) {")
      lines.append("    type \(keyType(set.keyType))")
      lines.append("  }")
    }
    for chain in chains {
      lines.append("  chain \(chain.name) {")
      lines.append("    \(chainHeader(chain))")
      lines += chain.rules.map { "    \(rule($0))" }
      lines.append("  }")
    }
    lines.append("}")
    return lines.joined(separator: "\n")
  }

  /// nft has no escapes inside quotes: anything that could end the word or the line is shown as `\\xNN`
  /// (element comments are made safe before they reach the kernel; see `ElementComment`).
  static func quoted(_ text: String) -> String { "\"\(PlanText.escaped(text))\"" }
}
