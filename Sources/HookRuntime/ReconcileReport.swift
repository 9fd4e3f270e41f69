import FoundationEssentials
import RoutedCore

/// What `reconcile` did (or, in a dry run, would do): one step per action, plus notes and counts.
public struct ReconcileReport: Encodable, Sendable {
  public enum Kind: String, Encodable, Sendable {
    /// A running domain re-applied.
    case apply
    /// The record of a domain that is not running, removed with its objects.
    case remove
    /// An owned object in no record, removed.
    case orphan
    /// Missing baseline objects restored.
    case baseline
    /// A domain re-applied here that had stopped by the time reconcile finished, removed again.
    case undo
    /// A migration claim changed: an arrival finished (libvirt lists the guest running), or a moved claim
    /// settled to normal.
    case handover
  }

  public struct Step: Encodable, Sendable {
    public var kind: Kind
    public var domain: String?
    public var uuid: String?
    /// Why: what is missing, stale or orphaned.
    public var detail: String
    /// What happened: nil in a dry run, else the counts or the error.
    public var result: String?
    public var failed: Bool
  }

  public var dryRun: Bool
  public var connections: [LibvirtConnectionResult]
  public var steps: [Step] = []
  /// What was deliberately left alone, and why.
  public var notes: [String] = []
  /// Running routed domains already exactly right.
  public var unchanged: [DomainIdentity] = []
  /// Every running routed domain: the desired state's domains.
  public var desired: [DomainIdentity] = []

  public init(dryRun: Bool, connections: [LibvirtConnectionResult]) {
    self.dryRun = dryRun
    self.connections = connections
  }

  /// Number of steps that failed.
  public var failures: Int { steps.filter(\.failed).count }

  /// Runs one step's effect (nil result: nothing done, as in a dry run) and records it; a failure does not stop
  /// the others.
  mutating func run(_ kind: Kind, domain: DomainIdentity?, detail: String, _ body: () throws -> String?) {
    var step = Step(
      kind: kind, domain: domain?.name, uuid: domain?.uuid, detail: detail, result: nil, failed: false)
    do { step.result = try body() } catch {
      step.result = "failed: \(error)"
      step.failed = true
    }
    steps.append(step)
  }

  static func text(_ reason: ReconcileAction.ApplyReason, of total: Int) -> String {
    switch reason {
    case .noRecord(let missing): "no record; \(missing) of \(total) objects missing"
    case .recordDiffers(let missing):
      "record differs from config and XML; \(missing) of \(total) objects missing"
    case .missing(let missing): "\(missing) of \(total) objects missing"
    case .noLongerManaged: "no NIC is managed any more; its recorded objects go"
    }
  }

  /// One line per connection skipped, per step and per note, then a summary.
  public func text() -> String {
    var lines: [String] = []
    for connection in connections where !connection.opened {
      let why = connection.driverAbsent ? "no such driver here" : "domains it runs are left alone"
      lines.append("skipped \(connection.uri): \(connection.error ?? "") (\(why))")
    }
    for step in steps {
      let who = step.domain.map { "\($0) (\(step.uuid ?? "")): " } ?? ""
      let result = step.result.map { " → \($0)" } ?? ""
      lines.append("\(step.kind.rawValue.padding(8))\(who)\(step.detail)\(result)")
    }
    lines += notes.map { "note    \($0)" }
    lines.append(summary())
    return lines.joined(separator: "\n") + "\n"
  }

  /// `reconcile: 3 running routed domains, 1 applied, …`.
  public func summary() -> String {
    func count(_ kind: Kind) -> Int { steps.filter { $0.kind == kind && !$0.failed }.count }
    var parts = [
      "\(desired.count) routed domains running", "\(unchanged.count) already right",
      "\(count(.apply)) \(dryRun ? "to apply" : "applied")",
      "\(count(.remove)) stopped \(dryRun ? "to remove" : "removed")",
      "\(count(.orphan)) orphans \(dryRun ? "to remove" : "removed")",
    ]
    if count(.baseline) > 0 { parts.append(dryRun ? "baseline to restore" : "baseline restored") }
    if count(.undo) > 0 { parts.append("\(count(.undo)) stopped meanwhile, removed again") }
    if failures > 0 { parts.append("\(failures) failed") }
    return (dryRun ? "dry run, nothing changed: " : "reconcile: ") + parts.joined(separator: ", ")
  }

  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }
}

extension String {
  /// Left-aligned in a column of `width` characters (at least one space after).
  fileprivate func padding(_ width: Int) -> String {
    self + String(repeating: " ", count: Swift.max(1, width - count))
  }
}
