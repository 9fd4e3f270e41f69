import HookRuntime
import RoutedCore

/// The WHAT of a live migration's handover, as the daemon calls it when libvirt's events say WHEN:
/// `RESUMED_MIGRATED` on the destination finishes the arrival, `STOPPED_MIGRATED` on the source removes what the
/// source still holds. The arrival itself (proxy-ARP answering made live, the route's claim switched, gratuitous
/// ARP) is `GuestRouting`'s (issue 14); this seam keeps the daemon's timing apart from it, and testable.
protocol MigrationHandover {
  /// Finishes the arrival of the domain `uuid` resumed here; a summary of what changed, nil when nothing did.
  func arrived(uuid: String) throws -> String?
  /// Removes what this host still holds for the domain `uuid` that migrated away; a summary, nil when nothing.
  func departed(uuid: String) throws -> String?
  /// Settles claims that are due (moved → normal); the domains settled.
  func settle() throws -> [DomainIdentity]
  /// Domains whose arrival is not finished yet.
  func pending() -> [DomainIdentity]
}

/// The handover with GuestRouting: arrivals are `finishArrival` (issue 14), departures the record's removal,
/// settling `settleMoved` (moved claims older than `GuestRoutePreference.movedSeconds` back to normal).
struct RoutingHandover: MigrationHandover {
  let engine: GuestRouting

  func arrived(uuid: String) throws -> String? {
    guard case .finished(let outcome, let announced, let failures) = try engine.finishArrival(domain: uuid) else {
      return nil
    }
    let added = outcome.report?.added.count ?? 0
    let removed = outcome.report?.removed.count ?? 0
    return "arrived: claim moved, \(added) objects added, \(removed) removed; gratuitous ARP "
      + (announced.isEmpty ? "none" : announced.map(\.description).joined(separator: ", "))
      + (failures.isEmpty ? "" : "; not sent: \(failures.joined(separator: "; "))")
  }

  func departed(uuid: String) throws -> String? {
    let outcome = try engine.remove(uuid: uuid, name: nil)
    guard let domain = outcome.domain, let report = outcome.report else { return nil }
    return "removed \(report.removed.count) objects of \(domain.name)"
  }

  func settle() throws -> [DomainIdentity] { try engine.settleMoved() }

  func pending() -> [DomainIdentity] { engine.pendingArrivals() }
}
