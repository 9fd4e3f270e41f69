import RoutedCore
import Testing

@Suite struct HookContractTests {
  /// (managed NIC, valid UUID, record on disk) → needs nothing; the record is looked up only when it decides.
  @Test(arguments: [
    (true, true, true, false, false), (true, false, false, false, false), (false, false, true, true, false),
    (false, true, false, true, true), (false, true, true, false, true),
  ])
  func aCallNeedsNothingOnlyForAnUnmanagedDomainWithoutARecord(
    managed: Bool, valid: Bool, recorded: Bool, expected: Bool, looksUp: Bool
  ) {
    var lookedUp = false
    let answer = HookAction.needsNothing(managed: managed, validIdentity: valid) {
      lookedUp = true
      return recorded
    }
    #expect(answer == expected)
    #expect(lookedUp == looksUp)
  }

  @Test func onlyMigrateBeginOfAManagedDomainMarksAnIncomingMigration() {
    #expect(HookAction.validateIncoming.marksIncoming(managed: true))
    #expect(!HookAction.validateIncoming.marksIncoming(managed: false))
    #expect(!HookAction.validate.marksIncoming(managed: true))
    #expect(!HookAction.apply.marksIncoming(managed: true))
  }

  @Test(arguments: [
    ("/etc/libvirt/hooks/qemu.d/routed-hook", HookKind.qemu),
    ("/etc/libvirt/hooks/lxc.d/routed-hook", .lxc),
    ("/etc/libvirt/hooks/network.d/10-routed-hook", .network),
    ("/etc/libvirt/hooks/qemu", .qemu),
    ("qemu", .qemu),
  ])
  func kindFromArgv0(path: String, kind: HookKind) {
    #expect(HookKind(executablePath: path) == kind)
  }

  @Test(arguments: [
    "/usr/local/libexec/routed-hook", "routed-hook", ".build/debug/routed-hook", "/etc/libvirt/hooks/daemon",
  ])
  func noKindForTheCLI(path: String) {
    #expect(HookKind(executablePath: path) == nil)
  }

  /// The exit policy, for every operation libvirt sends.
  @Test(arguments: [
    (HookKind.qemu, "prepare", HookAction.validate, FailureMode.refuse),
    (.qemu, "start", .recheck, .refuse),
    (.qemu, "started", .apply, .refuse),
    (.qemu, "stopped", .remove, .neverFail),
    (.qemu, "release", .remove, .neverFail),
    (.qemu, "reconnect", .reapply, .neverFail),
    (.qemu, "migrate", .validateIncoming, .refuse),
    (.qemu, "restore", .validate, .refuse),
    (.qemu, "attach", .ignore, .neverFail),
    (.lxc, "prepare", .validate, .refuse),
    (.lxc, "start", .recheck, .refuse),
    (.lxc, "started", .apply, .refuse),
    (.lxc, "stopped", .remove, .neverFail),
    (.lxc, "release", .remove, .neverFail),
    (.lxc, "reconnect", .reapply, .neverFail),
    (.network, "start", .validate, .refuse),
    (.network, "port-created", .applyPort, .neverFail),
    (.network, "plugged", .ignore, .neverFail),
  ])
  func exitPolicy(kind: HookKind, op: String, action: HookAction, failure: FailureMode) throws {
    let policy = HookPolicy.decide(try HookInvocation(kind: kind, arguments: ["web01", op, "begin", "-"]))
    #expect(policy.action == action)
    #expect(policy.onFailure == failure)
    #expect(policy.exitStatusOnFailure == (failure == .refuse ? 1 : 0))
  }

  @Test(arguments: [
    (
      ["web01", "started", "begin"],
      "expected 4 arguments (<name> <op> <subop> <extra>) as libvirt passes them, got 3"
    ),
    ([], "expected 4 arguments (<name> <op> <subop> <extra>) as libvirt passes them, got 0"),
    (
      ["web01", "exploded", "begin", "-"],
      "unknown qemu hook operation 'exploded' (known: prepare, start, started, stopped, release, migrate, restore, reconnect, attach)"
    ),
  ])
  func badInvocations(arguments: [String], message: String) {
    #expect(throws: HookUsageError(message)) { try HookInvocation(kind: .qemu, arguments: arguments) }
  }
}
