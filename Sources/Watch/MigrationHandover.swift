import HookRuntime
import RoutedCore

/// The WHAT of a live migration's handover, as the daemon calls it when libvirt's events say WHEN. Which step an
/// event means on this host (`Handover.step`: the pause for the switchover withdraws the source's answer, a
/// resume finishes an arrival or restores a source whose migration failed, a stop after migration removes) is
/// decided by `GuestRouting.migrationEvent` under the hook lock from the record's claim; this seam keeps the
/// daemon's timing apart from it, and testable.
protocol MigrationHandover {
  /// Acts on `event` for the domain `uuid`; what was done, nil (with no summary) when nothing was.
  func handle(_ event: Handover.MigrationEvent, uuid: String) throws -> (step: Handover.Step, summary: String)?
  /// Settles claims that are due (moved → normal); the domains settled.
  func settle() throws -> [DomainIdentity]
  /// Domains in the middle of a migration here, with their claim (arriving or leaving).
  func pending() -> [(domain: DomainIdentity, claim: GuestRoutePreference)]
}

/// The handover with GuestRouting: `migrationEvent` for libvirt's events, `settleMoved` for moved claims older
/// than `GuestRoutePreference.movedSeconds`.
struct RoutingHandover: MigrationHandover {
  let routing: GuestRouting

  func handle(_ event: Handover.MigrationEvent, uuid: String) throws -> (step: Handover.Step, summary: String)? {
    let done = try routing.migrationEvent(event, domain: uuid)
    guard let step = done.step, let summary = done.summary else { return nil }
    return (step, summary)
  }

  func settle() throws -> [DomainIdentity] { try routing.settleMoved() }

  func pending() -> [(domain: DomainIdentity, claim: GuestRoutePreference)] { routing.pendingHandovers() }
}
