#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// What `finishArrival` did.
public enum ArrivalResult: Sendable {
  /// The guest's claim went from `arriving` to `moved`; `announced` lists the gratuitous ARP sent and
  /// `failures` those that could not be (an interface gone: the claim changed anyway).
  case finished(Outcome, announced: [Handover.Announcement], failures: [String])
  /// The record's claim is `moved` or `normal` already: nothing changed, nothing sent.
  case alreadyFinished(DomainRecord)
  /// No record of that domain: not routed here.
  case noRecord
}

/// The end of an incoming live migration on the destination (`Handover`): the moment the guest runs here.
/// Called by `routed-hook watch` on libvirt's `RESUMED_MIGRATED`, by `reconcile` for a guest libvirt lists
/// as running, and by `routed-hook arrived`. Never from a hook call (no hook marks the resume).
extension GuestRouting {
  /// Finishes the incoming migration of `domain` (its name or UUID) under the hook lock: one nft
  /// transaction makes the ARP answering on proxy-arp uplinks live, the /32 goes to the `moved` metric
  /// (added before the `arriving` one is deleted), the record says `moved`; then gratuitous ARP for the
  /// guest's addresses on those uplinks and on its bridge.
  public func finishArrival(domain: String) throws -> ArrivalResult {
    guard let config = try loadConfig() else {
      throw SystemError("\(settings.configPath) does not exist: nothing is routed by routed-hook here")
    }
    guard hasRecords else { return .noRecord }
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    guard let record = try record(named: domain) else { return .noRecord }
    guard record.preference == .arriving else { return .alreadyFinished(record) }
    let kernel = try self.kernel()
    let outcome = try changeClaimHoldingLock(record, to: .moved, config: config, kernel: kernel)
    // After the commit: the LAN must not be told to send here before this host answers and routes.
    let announcements = Handover.announcements(record, config: config)
    return .finished(outcome, announced: announcements, failures: kernel.announce(announcements))
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
