/// `drift-missing` and `drift-orphan` (warning): routed-hook's per-guest objects against its records, as
/// `routed-hook status` reports them. Missing objects mean a guest lost routing (a firewall reload, a hand
/// edit); orphans mean the host still routes or answers ARP for a guest it no longer runs.
enum DriftCheck {
  static let missingID = "drift-missing"
  static let orphanID = "drift-orphan"

  static func findings(_ context: DoctorContext) -> [Finding] {
    var findings: [Finding] = []
    for record in context.snapshot.records.sorted(by: { $0.name < $1.name }) {
      let missing = record.objects.filter { !$0.present }.map(\.object)
      guard !missing.isEmpty else { continue }
      findings.append(
        Finding(
          id: missingID, severity: .warning,
          summary: "\(record.name): \(missing.count) recorded object(s) missing from the kernel",
          evidence: ["domain": record.name, "uuid": record.uuid, "missing": missing.joined(separator: "; ")],
          fix: "re-apply: routed-hook reconcile, or routed-hook apply --domain-xml with the domain's XML"))
    }
    let orphans = context.snapshot.orphans
    if !orphans.isEmpty {
      findings.append(
        Finding(
          id: orphanID, severity: .warning,
          summary: "\(orphans.count) object(s) owned by routed-hook are in no record",
          evidence: ["objects": orphans.joined(separator: "; ")],
          fix: "remove them: routed-hook reconcile, or by hand (nft delete element …, ip route del …)"))
    }
    return findings
  }
}
