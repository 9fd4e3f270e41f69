/// `forward-unfiltered` (critical): the host forwards IPv4 with no forward filter at all, so it routes
/// anything between all of its networks (the talk sets FORWARD policy DROP plus per-interface accepts).
///
/// `foreign-forward-drop` (warning): another table's forward chain with `policy drop` (or legacy iptables'
/// FORWARD policy DROP). In netfilter an accept is final only within its own chain; every other forward
/// hook still runs, so that policy also drops the guest traffic routed-hook's table accepts.
enum ForwardFilterCheck {
  static let unfilteredID = "forward-unfiltered"
  static let foreignDropID = "foreign-forward-drop"

  /// IPv4 forward base chains of every table (ip and inet families).
  static func forwardChains(_ snapshot: HostSnapshot) -> [(
    table: HostSnapshot.NftTable, chain: HostSnapshot.NftChain
  )] {
    snapshot.nftables.filter { $0.family == "ip" || $0.family == "inet" }.flatMap { table in
      table.chains.filter { $0.hook == "forward" }.map { (table, $0) }
    }
  }

  static func findings(_ context: DoctorContext) -> [Finding] {
    unfiltered(context) + foreignDrops(context)
  }

  static func unfiltered(_ context: DoctorContext) -> [Finding] {
    let snapshot = context.snapshot
    let forwarding = snapshot.links.filter {
      !$0.flags.contains("LOOPBACK") && snapshot.sysctls.forwarding($0.name)
    }
    .map(\.name).sorted()
    guard snapshot.sysctls.ipForward != 0 || !forwarding.isEmpty else { return [] }
    let chains = forwardChains(snapshot)
    let filtering = chains.filter { $0.chain.policy == "drop" || $0.chain.ruleCount > 0 }
    let legacy = snapshot.iptablesForward
    guard filtering.isEmpty, legacy.map({ $0.policy.uppercased() == "DROP" || $0.ruleCount > 0 }) != true
    else {
      return []
    }
    let interfaces = forwarding.isEmpty ? "none" : forwarding.joined(separator: ", ")
    return [
      Finding(
        id: unfilteredID, severity: .critical,
        summary:
          "IPv4 forwarding is on (ip_forward=\(snapshot.sysctls.ipForward), interfaces: \(interfaces)) with no "
          + "forward filtering at all: the host routes anything between its networks",
        evidence: [
          "net.ipv4.ip_forward": "\(snapshot.sysctls.ipForward)", "forwarding_interfaces": interfaces,
          "nft_forward_chains": chains.isEmpty
            ? "none"
            : chains.map {
              "\($0.table.qualifiedName) \($0.chain.name) (policy \($0.chain.policy ?? "accept"), \($0.chain.ruleCount) rules)"
            }
            .joined(separator: ", "),
          "iptables_legacy_forward": legacy.map { "policy \($0.policy), \($0.ruleCount) rules" }
            ?? "not loaded",
        ],
        fix:
          "filter forwarding (an nft forward chain, or iptables -P FORWARD DROP plus per-interface accepts), or sysctl -w net.ipv4.ip_forward=0"
      )
    ]
  }

  static func foreignDrops(_ context: DoctorContext) -> [Finding] {
    let snapshot = context.snapshot
    let ours = OwnedTable.filter.rawValue
    guard context.config != nil || snapshot.nftables.contains(where: { $0.qualifiedName == ours }) else {
      return []
    }
    let bridges = context.guestBridges.sorted()
    let accept =
      bridges.isEmpty
      ? "accept the guests' traffic there too"
      : "accept traffic from and to \(bridges.joined(separator: ", ")) there too"
    var findings: [Finding] = []
    for (table, chain) in forwardChains(snapshot) where table.qualifiedName != ours && chain.policy == "drop"
    {
      findings.append(
        Finding(
          id: foreignDropID, severity: .warning,
          summary:
            "chain \(table.qualifiedName) \(chain.name) has policy drop on the forward hook: it also drops guest "
            + "traffic routed-hook accepts (accept is not final across tables)",
          evidence: [
            "table": table.qualifiedName, "chain": chain.name, "policy": "drop",
            "priority": chain.priority.map(String.init) ?? "unknown", "rules": "\(chain.ruleCount)",
          ],
          fix: "\(accept), or make its policy accept and drop explicitly"))
    }
    if let legacy = snapshot.iptablesForward, legacy.policy.uppercased() == "DROP" {
      findings.append(
        Finding(
          id: foreignDropID, severity: .warning,
          summary:
            "iptables-legacy FORWARD has policy DROP: it also drops guest traffic routed-hook accepts "
            + "(accept is not final across tables)",
          evidence: [
            "table": "iptables-legacy filter", "chain": "FORWARD", "policy": "DROP",
            "rules": "\(legacy.ruleCount)",
          ],
          fix:
            "\(accept) (iptables -I FORWARD -i BRIDGE -j ACCEPT and -o BRIDGE), or set its policy to ACCEPT"))
    }
    return findings
  }
}
