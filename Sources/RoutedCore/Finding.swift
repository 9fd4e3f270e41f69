/// One problem `routed-hook doctor` found on the host, with its evidence and the one-line fix.
///
/// The `id`s are a stable contract (the lab's pitfall topologies and scripts match on them); the summary
/// is one line for people.
public struct Finding: Sendable, Equatable, Encodable {
  public enum Severity: String, Sendable, Equatable, Encodable, CaseIterable {
    /// Kills or opens a network now: doctor exits 1, and `prepare` refuses a start that would cause it.
    case critical
    /// Wrong or surprising, but not breaking anything yet.
    case warning
    /// Worth knowing, nothing to fix.
    case info
  }

  public var id: String
  public var severity: Severity
  public var summary: String
  /// Interfaces, addresses, sysctl values, MTUs: what the finding was concluded from.
  public var evidence: [String: String]
  public var fix: String

  /// The block `routed-hook doctor` prints for this finding in text mode.
  public var text: String {
    var lines = ["\(severity.rawValue.uppercased()) \(id): \(summary)"]
    for key in evidence.keys.sorted() { lines.append("  \(key): \(evidence[key]!)") }
    lines.append("  fix: \(fix)")
    return lines.joined(separator: "\n")
  }
}

/// `doctor --json`'s document: `{"findings":[…]}`.
public struct DoctorReport: Sendable, Equatable, Encodable {
  public var findings: [Finding]

  public init(findings: [Finding]) { self.findings = findings }

  /// True when a finding is critical: doctor exits 1.
  public var hasCritical: Bool { findings.contains { $0.severity == .critical } }

  /// Text mode: one block per finding, then a last line with the counts.
  public var text: String {
    let blocks = findings.map(\.text)
    let count = { (severity: Finding.Severity) in self.findings.filter { $0.severity == severity }.count }
    let last =
      findings.isEmpty
      ? "doctor: no findings"
      : "doctor: \(count(.critical)) critical, \(count(.warning)) warning, \(count(.info)) info"
    return (blocks + [last]).joined(separator: "\n\n") + "\n"
  }
}
