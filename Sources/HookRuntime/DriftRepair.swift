import RoutedCore
import RoutedKernel

/// What one drift repair did.
public struct DriftRepairReport: Sendable {
  /// Baseline objects put back (tables, chains, sets, sysctls, the gateway address, peer routes).
  public var baseline: [KernelObject] = []
  /// Guest objects put back, by domain.
  public var guests: [(domain: DomainIdentity, objects: [KernelObject])] = []
  /// Recorded domains left alone because libvirt does not confirm that they run (a stop whose hook was
  /// killed): the next reconcile removes them, a repair must not revive them.
  public var unconfirmed: [DomainIdentity] = []
  /// Objects found in place.
  public var unchanged = 0
  /// Gratuitous ARP sent after the repair because a proxy-arp uplink was re-created (`Handover.reannouncements`),
  /// and those that could not be sent.
  public var announced: [Handover.Announcement] = []
  public var announceFailures: [String] = []

  public var isEmpty: Bool { baseline.isEmpty && guests.isEmpty }
}

/// `routed-hook watch`'s repair: put back what the records say exists and the kernel lacks, in one transaction,
/// under the hook lock. The records are the truth for what should exist: no libvirt call (the daemon learns
/// what runs from libvirt's events instead, and a listing would have to come before the lock anyway).
extension GuestRouting {
  /// Repairs every recorded domain for which `runs` is true (all of them when it is nil, without libvirt).
  public func repairDrift(config: HostConfig, runs: ((String) -> Bool)?) throws -> DriftRepairReport {
    var result = DriftRepairReport()
    guard hasRecords else { return result }
    let kernel = try self.kernel()
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { lock.close() }
    let records = try RecordStore(directory: settings.stateDirectory).all()
    let repaired = records.filter { runs?($0.domain.uuid) ?? true }
    result.unconfirmed = records.filter { !(runs?($0.domain.uuid) ?? true) }.map(\.domain)
    // As in reconcile: the baseline belongs to routed guests; with none, there is nothing to restore.
    guard !repaired.isEmpty else { return result }
    let facts = try hostFacts(kernel, config: config)
    let plan = Plan(
      baseline: Planner.baseline(config: config, facts: facts),
      guestChanges: repaired.flatMap { $0.objects.map(KernelChange.add) })
    let report = try kernel.apply(plan)
    result.unchanged = report.unchanged
    result.baseline = report.added.filter { plan.baseline.contains($0) }
    for record in repaired {
      let added = report.added.filter { record.objects.contains($0) }
      if !added.isEmpty { result.guests.append((record.domain, added)) }
    }
    // After the commit: the LAN learns the uplink's (maybe new) MAC only once this host answers there again.
    result.announced = Handover.reannouncements(repaired: result.baseline, records: repaired, config: config)
    result.announceFailures = kernel.announce(result.announced)
    return result
  }
}
