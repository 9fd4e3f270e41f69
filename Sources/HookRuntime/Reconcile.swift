import RoutedCore
import RoutedKernel

/// `routed-hook reconcile`: make records and kernel match the domains libvirt runs, for what no hook call can see
/// (`nft flush ruleset`, a hook killed between apply and record, a domain destroyed while the hook was not
/// installed). Never called from a hook call: it asks libvirt, and a hook that does may deadlock libvirtd.
extension GuestRouting {
  /// Lists the domains with `list`, then plans and (unless `dryRun`) acts under the hook lock.
  ///
  /// libvirt is asked *before* the lock is taken: libvirtd answers a listing only after taking each domain's
  /// lock, which it holds while a hook runs, and that hook may be waiting for our lock. Records read before the
  /// listing tell a stopped domain from one started meanwhile, and a listed domain whose stop removed its record
  /// meanwhile from one never recorded (see `Reconciler.plan`). Domains re-applied here are checked once more
  /// after the lock is released, and removed again if they stopped meanwhile, so a reconcile never leaves the
  /// routing of a guest that has stopped or migrated away.
  public func reconcile(config: HostConfig, dryRun: Bool, list: () -> LibvirtListing) throws
    -> ReconcileReport
  {
    let store = RecordStore(directory: settings.stateDirectory)
    let before = hasRecords ? try store.all() : []
    let listing = list()
    guard listing.connections.contains(where: \.opened) else {
      let reasons = listing.connections.map { "\($0.uri): \($0.error ?? "")" }.joined(separator: "; ")
      throw SystemError("no libvirt connection could be opened (\(reasons))")
    }
    var report = ReconcileReport(dryRun: dryRun, connections: listing.connections)
    let applied = try reconcileHoldingLock(
      config: config, dryRun: dryRun, listing: listing, recordsBefore: before, report: &report)
    finishHandovers(listing: listing, dryRun: dryRun, report: &report)
    guard !applied.isEmpty else { return report }

    let after = list()
    let answered = Set(after.connections.filter(\.opened).map(\.uri))
    let running = Set(after.domains.map(\.identity.uuid))
    for domain in applied where answered.contains(domain.uri) && !running.contains(domain.identity.uuid) {
      report.run(.undo, domain: domain.identity, detail: "stopped while reconcile ran") {
        let outcome = try remove(uuid: domain.identity.uuid, name: nil)
        return "removed \(outcome.report?.removed.count ?? 0)"
      }
    }
    return report
  }

  /// Without the watch daemon, the fallback for what libvirt's events would have triggered: an arriving guest
  /// that libvirt lists as running (not paused) has resumed here, so its arrival is finished; a leaving guest
  /// libvirt lists as running here again resumed after a failed migration, so it is answered for again; a
  /// moved claim older than `GuestRoutePreference.movedSeconds` settles to normal.
  private func finishHandovers(listing: LibvirtListing, dryRun: Bool, report: inout ReconcileReport) {
    let now = BootClock.seconds()
    let running = Dictionary(
      listing.domains.map { ($0.identity.uuid, $0.isRunning) }, uniquingKeysWith: { first, _ in first })
    for record in records() {
      switch Handover.next(record, running: running[record.domain.uuid] ?? nil, now: now) {
      case .moved?:
        report.run(.handover, domain: record.domain, detail: "arriving, and libvirt lists it running") {
          guard !dryRun else { return nil }
          switch try finishArrival(domain: record.domain.uuid) {
          case .finished(let outcome, let announced, let failures):
            let report = outcome.report.map(ApplyReportSummary.init)?.text ?? "nothing to do"
            return "moved: \(report); \(announced.count - failures.count) announcements sent (gratuitous ARP, neighbour advertisements)"
              + failures.map { "; \($0)" }.joined()
          case .alreadyFinished(let now): return "already \(now.preference.rawValue)"
          case .noRecord: return "stopped meanwhile"
          }
        }
      case .normal? where record.preference == .leaving:
        report.run(.handover, domain: record.domain, detail: "leaving, and libvirt lists it running here") {
          guard !dryRun else { return nil }
          let done = try migrationEvent(.resumed, domain: record.domain.uuid)
          return done.step == .restore ? "normal: answered again" : "changed meanwhile"
        }
      case .normal?:
        report.run(
          .handover, domain: record.domain,
          detail: "moved \(now - record.since) s ago (settles after \(GuestRoutePreference.movedSeconds) s)"
        ) {
          guard !dryRun else { return nil }
          return try settleMoved(uuid: record.domain.uuid).isEmpty ? "changed meanwhile" : "normal"
        }
      default:
        break
      }
    }
  }

  /// Reads records and kernel, plans and acts, all under the lock; returns the domains it re-applied.
  private func reconcileHoldingLock(
    config: HostConfig, dryRun: Bool, listing: LibvirtListing, recordsBefore: [DomainRecord],
    report: inout ReconcileReport
  ) throws -> [DesiredState.Domain] {
    let kernel = try self.kernel()
    // A dry run changes nothing, so it neither waits for hooks nor creates the state directory.
    let lock = dryRun ? nil : try HookLock.acquire(directory: settings.stateDirectory)
    defer { lock?.close() }
    let store = RecordStore(directory: settings.stateDirectory)
    let facts = try hostFacts(kernel, config: config)
    let records = hasRecords ? try store.all() : []
    let desired = Reconciler.desiredState(
      active: listing.domains, config: config, facts: facts, records: records)
    let plan = Reconciler.plan(
      desired: desired, records: records, recordsBeforeListing: recordsBefore,
      listingComplete: listing.isComplete,
      present: try kernel.present(desired.objects),
      owned: try kernel.ownedGuestObjects(routeProtocol: config.routeProtocol))
    report.notes = plan.notes
    report.unchanged = plan.unchanged
    report.desired = desired.domains.filter { !$0.interfaces.isEmpty }.map(\.identity)

    let orphans = plan.actions.compactMap { action -> KernelObject? in
      if case .removeOrphan(let object) = action { return object }
      return nil
    }
    // Orphans go in one transaction: every deletion waits for an RCU grace period, once per batch.
    var orphanFailure: String?
    if !dryRun && !orphans.isEmpty {
      do { _ = try kernel.apply(Plan(guestChanges: orphans.map(KernelChange.remove))) } catch {
        orphanFailure = "\(error)"
      }
    }
    var applied: [DesiredState.Domain] = []
    for action in plan.actions {
      switch action {
      case .removeRecord(let record):
        report.run(
          .remove, domain: record.domain, detail: "not running; \(record.objects.count) recorded objects"
        ) {
          guard !dryRun else { return nil }
          return "removed \(try removeHoldingLock(record, kernel: kernel).report?.removed.count ?? 0)"
        }
      case .removeOrphan(let object):
        report.run(.orphan, domain: nil, detail: PlanText.objectText(object)) {
          if let orphanFailure { throw SystemError(orphanFailure) }
          return dryRun ? nil : "removed"
        }
      case .restoreBaseline(let missing):
        let what =
          missing.prefix(3).map(Summary.describe).joined(separator: ", ") + (missing.count > 3 ? ", …" : "")
        report.run(.baseline, domain: nil, detail: "\(missing.count) missing: \(what)") {
          guard !dryRun else { return nil }
          return "added \(try kernel.apply(Plan(baseline: desired.baseline)).added.count)"
        }
      case .apply(let domain, let reason):
        report.run(
          .apply, domain: domain.identity, detail: ReconcileReport.text(reason, of: domain.objects.count)
        ) {
          guard !dryRun else { return nil }
          let outcome = try runHoldingLock(
            .reapply, domain: domain.description, interfaces: domain.interfaces, config: config,
            kernel: kernel,
            facts: facts)
          applied.append(domain)
          return "added \(outcome.report?.added.count ?? 0), removed \(outcome.report?.removed.count ?? 0)"
        }
      }
    }
    if !dryRun {
      let kept = Set(try store.all().map(\.domain.uuid))
      let pruned = AddressIndex(stateDirectory: settings.stateDirectory).prune(keeping: kept)
      if pruned > 0 {
        report.notes.append("address index: removed \(pruned) entries of domains with no record")
      }
    }
    return applied
  }
}
