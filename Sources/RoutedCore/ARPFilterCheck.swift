/// `proxy-arp-unfiltered` (critical): proxy_arp on an interface with no ARP filter restricting it. The
/// talk: "use proxy_arp only in combination with arptables"; unfiltered, the interface answers for
/// everything the host can route elsewhere, other hosts' guests included.
enum ARPFilterCheck {
  static let id = "proxy-arp-unfiltered"

  static func findings(_ context: DoctorContext) -> [Finding] {
    context.proxyingLinks.compactMap { link in
      // On a guest bridge the host must answer for everything: guests use a wide netmask and the bridge's
      // address is their gateway to all of it. Only a config says which bridges those are.
      guard !context.guestBridges.contains(link.name), filters(for: link.name, context.snapshot).isEmpty
      else {
        return nil
      }
      let arpChains = context.snapshot.nftables.filter { $0.family == "arp" }.flatMap { table in
        table.chains.filter { $0.hook == "input" }.map { "\(table.qualifiedName) \($0.name)" }
      }
      return Finding(
        id: id, severity: .critical,
        summary:
          "\(link.name) proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere",
        evidence: context.proxyARPEvidence(link.name).adding([
          "interface": link.name,
          "addresses": link.addresses.listText,
          "nft_arp_input_chains": arpChains.isEmpty ? "none" : arpChains.joined(separator: ", "),
          "arptables_legacy": context.snapshot.arptables.map {
            "INPUT policy \($0.inputPolicy), no rule for \(link.name)"
          }
            ?? "not loaded",
        ]),
        fix:
          "restrict ARP on \(link.name) (an nft arp input chain with iifname \"\(link.name)\" rules, or arptables -P INPUT DROP plus accepts), or sysctl -w \(context.proxyARPSwitch(link.name))"
      )
    }
  }

  /// What restricts ARP replies on `interface`: arp-family input chains with a rule for it or policy drop
  /// (ours, `table arp routed_hook`, is one of them), and legacy arptables.
  static func filters(for interface: String, _ snapshot: HostSnapshot) -> [String] {
    var filters: [String] = []
    for table in snapshot.nftables where table.family == "arp" {
      for chain in table.chains where chain.hook == "input" {
        if chain.policy == "drop" || chain.inputInterfaces.contains(interface) {
          filters.append("\(table.qualifiedName) \(chain.name)")
        }
      }
    }
    if let arptables = snapshot.arptables,
      arptables.inputPolicy.uppercased() == "DROP" || arptables.inputInterfaces.contains(interface)
    {
      filters.append("arptables INPUT")
    }
    return filters
  }
}
