/// `arp-answered-elsewhere` (critical): one of our guests' addresses is in the ARP answer set of an uplink
/// its NIC may not use. The host then attracts that guest's traffic on a link where it should not be reached,
/// a second path to the guest (the talk: "a host answers ARP only for guests it hosts", and only where meant).
enum ARPAnswerCheck {
  static let id = "arp-answered-elsewhere"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard
      let table = context.snapshot.nftables.first(where: { $0.qualifiedName == OwnedTable.arpFilter.rawValue }
      )
    else { return [] }
    let prefix = "answer_"
    var findings: [Finding] = []
    for record in context.snapshot.records {
      for nic in record.interfaces {
        guard let address = nic.address else { continue }
        let allowed = Set(nic.uplinks.map(Names.nftIdentifier))
        for set in table.sets where set.name.hasPrefix(prefix) {
          let uplinkKey = String(set.name.dropFirst(prefix.count))
          guard !allowed.contains(uplinkKey), set.elements.contains(where: { $0.key == "\(address)" })
          else {
            continue
          }
          let uplink = context.config?.uplinks.first { Names.nftIdentifier($0.name) == uplinkKey }
          let uplinkName = uplink?.name ?? uplinkKey
          let interface = uplink.map { " on \($0.interface)" } ?? ""
          findings.append(
            Finding(
              id: id, severity: .critical,
              summary:
                "\(address) (\(record.name)) is answered for by ARP\(interface) (uplink \(uplinkName)), "
                + "which its NIC may not use: a second path to the guest",
              evidence: [
                "address": "\(address)", "domain": record.name, "uplink": uplinkName,
                "interface": uplink?.interface ?? "unknown", "set": "\(table.qualifiedName) \(set.name)",
                "allowed_uplinks": nic.uplinks.isEmpty ? "none" : nic.uplinks.joined(separator: ", "),
              ],
              fix: "nft delete element \(table.qualifiedName) \(set.name) { \(address) }"))
        }
      }
    }
    return findings
  }
}
