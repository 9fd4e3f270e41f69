#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// What `migrationEvent` did: the step taken (nil: nothing to do for the record's claim, or no record),
/// the record as it was, what changed, and the announcements (gratuitous ARP, unsolicited neighbour
/// advertisements) sent and not sent.
public struct HandoverResult: Sendable {
  public var step: Handover.Step?
  public var record: DomainRecord?
  public var outcome: Outcome?
  public var announced: [Handover.Announcement] = []
  public var failures: [String] = []

  public init(
    step: Handover.Step? = nil, record: DomainRecord? = nil, outcome: Outcome? = nil,
    announced: [Handover.Announcement] = [], failures: [String] = []
  ) {
    self.step = step
    self.record = record
    self.outcome = outcome
    self.announced = announced
    self.failures = failures
  }

  /// One line for logs: `withdrawn: 1 added, 2 removed; ...`, nil when nothing was done.
  public var summary: String? {
    guard let step, let outcome else { return nil }
    guard step != .remove else {
      return "removed \(outcome.report?.removed.count ?? 0) objects of \(outcome.domain?.name ?? "?")"
    }
    let verb: String
    switch step {
    case .finishArrival: verb = "arrived: claim moved"
    case .withdraw: verb = "leaving: ARP answer on proxy-arp uplinks withdrawn, claim lowered"
    case .restore: verb = "resumed here: answered again, claim normal"
    case .remove: verb = ""
    }
    let added = outcome.report?.added.count ?? 0
    let removed = outcome.report?.removed.count ?? 0
    var text = "\(verb), \(added) objects added, \(removed) removed"
    if step != .withdraw {
      text += "; announced " + (announced.isEmpty ? "nothing" : announced.map(\.description).joined(separator: ", "))
    }
    if !failures.isEmpty { text += "; not sent: \(failures.joined(separator: "; "))" }
    return text
  }
}

/// What `finishArrival` did.
public enum ArrivalResult: Sendable {
  /// The guest's claim went from `arriving` to `moved`; `announced` lists the gratuitous ARP and neighbour
  /// advertisements sent and `failures` those that could not be (an interface gone: the claim changed anyway).
  case finished(Outcome, announced: [Handover.Announcement], failures: [String])
  /// The record's claim is `moved` or `normal` already: nothing changed, nothing sent.
  case alreadyFinished(DomainRecord)
  /// No record of that domain: not routed here.
  case noRecord
}

/// The moments of a live migration no hook marks (`Handover`): on the destination the resume, the moment the
/// guest runs here; on the source the pause for the switchover, and the resume after a failed migration.
/// Called by `routed-hook watch` on libvirt's events, by `reconcile` for a guest libvirt lists as running,
/// and by `routed-hook arrived` and `leaving`. Never from a hook call.
extension GuestRouting {
  /// Finishes the incoming migration of `domain` (its name or UUID) under the hook lock: one nft
  /// transaction makes the ARP answering on proxy-arp uplinks live, the proxy neighbour entries are added,
  /// the /32 and /128 go to the `moved` metric (added before the `arriving` ones are deleted), the record
  /// says `moved`; then gratuitous ARP and unsolicited neighbour advertisements (`Handover.announcements`).
  public func finishArrival(domain: String) throws -> ArrivalResult {
    try withRecordHoldingLock(named: domain) { record, config in
      guard Handover.step(for: .resumed, claim: record.preference) == .finishArrival else {
        return .alreadyFinished(record)
      }
      let done = try performHoldingLock(.finishArrival, record: record, config: config)
      return .finished(done.outcome!, announced: done.announced, failures: done.failures)
    } ?? .noRecord
  }

  /// What libvirt reported about `domain` (its name or UUID) for a migration's handover, decided by
  /// `Handover.step` from the record's claim and done under the hook lock: on the source the pause for the
  /// switchover withdraws the guest's answer on proxy-arp uplinks and lowers its claim (`leaving`), a resume
  /// after a failed migration restores both; on the destination a resume finishes the arrival; a stop after
  /// migration removes the record. Called by `routed-hook watch` on libvirt's events and by `routed-hook
  /// leaving`; never from a hook call.
  public func migrationEvent(_ event: Handover.MigrationEvent, domain: String) throws -> HandoverResult {
    try withRecordHoldingLock(named: domain) { record, config in
      guard let step = Handover.step(for: event, claim: record.preference) else {
        return HandoverResult(record: record)
      }
      return try performHoldingLock(step, record: record, config: config)
    } ?? HandoverResult()
  }

  /// `body` with `domain`'s record (by name or UUID) and the config, under the hook lock; nil, without taking
  /// the lock, when nothing is recorded here, and nil when that domain has no record. No config is an error:
  /// a handover on a host routed-hook does not route is a mistake worth saying.
  func withRecordHoldingLock<Result>(
    named domain: String, _ body: (DomainRecord, HostConfig) throws -> Result
  ) throws -> Result? {
    guard let config = try loadConfig() else { throw Self.noConfig(settings) }
    guard hasRecords else { return nil }
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    guard let record = try record(named: domain) else { return nil }
    return try body(record, config)
  }

  /// One handover step for `record`, under the hook lock: the claim's change in one nft transaction (routes
  /// added before deleted), the record; then, when the guest now runs here, its announcements
  /// (`Handover.announcements`: gratuitous ARP and unsolicited neighbour advertisements).
  func performHoldingLock(_ step: Handover.Step, record: DomainRecord, config: HostConfig) throws
    -> HandoverResult
  {
    let kernel = try self.kernel()
    var result = HandoverResult(step: step, record: record)
    guard let claim = Handover.claim(after: step) else {
      result.outcome = try removeHoldingLock(record, kernel: kernel)
      return result
    }
    result.outcome = try changeClaimHoldingLock(record, to: claim, config: config, kernel: kernel)
    guard claim.answersOnUplinks else { return result }
    // After the commit: the LAN must not be told to send here before this host answers and routes.
    result.announced = Handover.announcements(record, config: config)
    result.failures = kernel.announce(result.announced)
    return result
  }

  static func noConfig(_ settings: Settings) -> SystemError {
    SystemError("\(settings.configPath) does not exist: nothing is routed by routed-hook here")
  }

  /// Settles every `moved` claim made at least `seconds` ago to `normal` (metric 0, local_pref 100), under
  /// the hook lock (only `uuid`'s, when given); returns the domains settled. A claim younger than that is left alone, so callers may
  /// call this whenever convenient (the watch daemon on a timer, `reconcile`, `arrived --wait`).
  public func settleMoved(after seconds: Int = GuestRoutePreference.movedSeconds, uuid: String? = nil) throws
    -> [DomainIdentity]
  {
    guard hasRecords else { return [] }
    let now = BootClock.seconds()
    let due = try RecordStore(directory: settings.stateDirectory).all().filter {
      (uuid == nil || $0.domain.uuid == uuid)
        && Handover.next($0, running: nil, now: now, movedSeconds: seconds) == .normal
    }
    guard !due.isEmpty, let config = try loadConfig() else { return [] }
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    let kernel = try self.kernel()
    let store = RecordStore(directory: settings.stateDirectory)
    var settled: [DomainIdentity] = []
    for old in due {
      // Read again under the lock: a hook may have stopped or re-claimed it meanwhile.
      guard let record = try store.load(uuid: old.domain.uuid), record.preference == .moved,
        record.since == old.since
      else { continue }
      _ = try changeClaimHoldingLock(record, to: .normal, config: config, kernel: kernel)
      settled.append(record.domain)
    }
    return settled
  }

  /// The domains whose incoming migration is not finished yet.
  public func pendingArrivals() -> [DomainIdentity] {
    records().filter { $0.preference == .arriving }.map(\.domain)
  }

  /// The domains in the middle of a migration here, with their claim: arriving (not resumed here yet) or
  /// leaving (paused here for the switchover).
  public func pendingHandovers() -> [(domain: DomainIdentity, claim: GuestRoutePreference)] {
    records().filter { $0.preference == .arriving || $0.preference == .leaving }.map { ($0.domain, $0.preference) }
  }

  /// Changes a record's claim: the record written ahead (old and new objects), one transaction, the record.
  func changeClaimHoldingLock(
    _ record: DomainRecord, to preference: GuestRoutePreference, config: HostConfig, kernel: KernelHandle
  ) throws -> Outcome {
    let store = RecordStore(directory: settings.stateDirectory)
    let plan = Handover.plan(record, to: preference, config: config, now: BootClock.seconds())
    guard let intent = plan.record else { return Outcome(domain: record.domain, plan: plan, report: nil) }
    let pending = try RecordPolicy.writeAhead(intent, existing: record).map { try store.writeAhead($0) }
    let report = try kernel.apply(plan) { try pending?.finish() }
    try store.write(intent)
    AuditLog.record(
      "handover domain=\(record.domain.name) uuid=\(record.domain.uuid) claim=\(record.preference.rawValue)->"
        + "\(preference.rawValue) added=\(report.added.count) removed=\(report.removed.count) "
        + "unchanged=\(report.unchanged) objects=[\(Summary.objects(report))]")
    return Outcome(domain: record.domain, plan: plan, report: report)
  }

  /// The record of the domain with this UUID or name.
  func record(named domain: String) throws -> DomainRecord? {
    let store = RecordStore(directory: settings.stateDirectory)
    if hasRecord(domain), let record = try store.load(uuid: domain) { return record }
    return try store.all().first { $0.domain.name == domain }
  }
}
