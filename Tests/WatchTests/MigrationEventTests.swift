import RoutedCore
import Testing

@testable import Watch

/// Which of libvirt's lifecycle events the daemon acts on for a migration, and what each means on a host given
/// its record's claim (`Handover.step`, which `GuestRouting.migrationEvent` applies under the hook lock). The
/// events are libvirt's ABI numbers (libvirt-domain.h), so a renumbered constant fails here too.
@Suite struct MigrationEventTests {
  // virDomainEventType and the details that matter.
  static let suspended: Int32 = 3, resumed: Int32 = 4, stopped: Int32 = 5, started: Int32 = 2

  static func event(_ event: Int32, _ detail: Int32) -> LibvirtEvent {
    LibvirtEvent(uri: "qemu:///system", uuid: "u", name: "web01", kind: .lifecycle(event: event, detail: detail))
  }

  @Test(arguments: [
    (suspended, 1 as Int32, Handover.MigrationEvent?.some(.pausedForMigration), true),  // SUSPENDED_MIGRATED
    (suspended, 0, nil, false),  // SUSPENDED_PAUSED: an admin's pause, the guest stays here
    (suspended, 7, nil, false),  // SUSPENDED_POSTCOPY: follows SUSPENDED_MIGRATED, nothing more to do
    (suspended, 8, nil, false),  // SUSPENDED_POSTCOPY_FAILED: state split between hosts, left alone
    (resumed, 1, .resumed, true),  // RESUMED_MIGRATED: destination after migration, source after a failed one
    (resumed, 3, .resumed, true),  // RESUMED_POSTCOPY: the guest runs on the destination from now on
    (resumed, 0, .resumed, false),  // RESUMED_UNPAUSED: `virsh resume` of a guest left paused
    (stopped, 3, .stoppedAfterMigration, true),  // STOPPED_MIGRATED
    (stopped, 1, nil, false),  // STOPPED_DESTROYED: the stop hook and a reconcile handle it
    (started, 1, nil, false),  // STARTED_MIGRATED: the `started` hook made the guest arriving already
  ])
  func eventsOfAMigration(
    event: Int32, detail: Int32, expected: Handover.MigrationEvent?, concernsMigration: Bool
  ) {
    #expect(Self.event(event, detail).migrationEvent == expected)
    #expect(Self.event(event, detail).concernsMigration == concernsMigration)
  }

  @Test func aClosedConnectionIsNoMigrationEvent() {
    let closed = LibvirtEvent(uri: "qemu:///system", uuid: "", name: "", kind: .closed(reason: 1))
    #expect(closed.migrationEvent == nil)
    #expect(!closed.concernsMigration)
  }

  /// One successful migration, as the two daemons see it, and one that fails on the source.
  @Test(arguments: [
    // Destination: `started` claimed the guest arriving; RESUMED_MIGRATED finishes the arrival.
    (resumed, 1 as Int32, GuestRoutePreference?.some(.arriving), Handover.Step?.some(.finishArrival)),
    // Source: SUSPENDED_MIGRATED withdraws the answer (a guest that arrived less than 30 s ago, too).
    (suspended, 1, .normal, .withdraw),
    (suspended, 1, .moved, .withdraw),
    // Source: the migration failed, libvirt resumes the guest here (RESUMED_MIGRATED in libvirt 9.0).
    (resumed, 1, .leaving, .restore),
    // ... or left it paused and an admin resumed it.
    (resumed, 0, .leaving, .restore),
    // Source: STOPPED_MIGRATED removes the record, whatever its claim.
    (stopped, 3, .leaving, .remove),
    (stopped, 3, .normal, .remove),
    // Nothing to do: a guest that runs here resumes; a second pause event; a domain not routed here.
    (resumed, 1, .normal, nil),
    (resumed, 0, .moved, nil),
    (suspended, 1, .leaving, nil),
    (suspended, 1, .arriving, nil),
    (suspended, 1, nil, nil),
    (resumed, 1, nil, nil),
    (stopped, 3, nil, nil),
    (suspended, 0, .normal, nil),
  ])
  func stepOnThisHost(event: Int32, detail: Int32, claim: GuestRoutePreference?, expected: Handover.Step?) {
    let step = Self.event(event, detail).migrationEvent.flatMap { Handover.step(for: $0, claim: claim) }
    #expect(step == expected)
  }
}
