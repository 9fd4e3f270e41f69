import Foundation
import Testing

/// The fault drill: hook processes SIGKILLed at random points across 100 start/stop cycles, then one reconcile.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct ReconcileDrillTests {
  /// Guests of the drill: indices 10…17 (10.136.11.15…22); they need no namespaces, only hook calls.
  static let guests = Array(10..<18)

  @Test func killedHooksLeaveNothingLeakedOrMissingAfterReconcile() throws {
    let bed = try Testbed(guestCount: 1)
    let started = Date()
    var random = SystemRandomNumberGenerator()
    // Kills land anywhere from process start to just past the end of the work: the window is the measured length
    // of a whole `started` call here (a few ms for a release build, more for a debug one, plus `ip netns exec`).
    let window = try Self.hookDuration(bed)
    var running = Set<Int>()
    var killed = 0
    var finished = 0
    for _ in 0..<100 {
      let guest = Self.guests.randomElement(using: &random)!
      let stopping = running.contains(guest)
      let calls =
        stopping
        ? [("stopped", "end", "-", true), ("release", "end", "destroyed", false)]
        : [("prepare", "begin", "-", true), ("start", "begin", "-", true), ("started", "begin", "-", true)]
      for (op, subop, extra, target) in calls {
        let delay = UInt32.random(in: 0...window * 5 / 4, using: &random)
        if try Self.hookKilled(after: delay, bed, guest, op, subop, extra, target: target) {
          killed += 1
        } else {
          finished += 1
        }
      }
      // libvirt's view, whatever the hooks managed to do: the last lifecycle step decides.
      if stopping { running.remove(guest) } else { running.insert(guest) }
    }
    let damage = try Self.count(bed, running: running)
    let uri = try TestDriverNode.write(running: running.sorted(), in: bed.scratch)
    let run = try bed.reconcile(uri)
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    let after = try Self.count(bed, running: running)
    let seconds = Date().timeIntervalSince(started)
    print(
      "reconcile drill: 100 cycles, kills at 0–\(window * 5 / 4) µs, \(killed) hook processes killed, \(finished) finished, "
        + "\(running.count) guests running; "
        + "before reconcile leaked \(damage.leaked), missing \(damage.missing); after reconcile leaked \(after.leaked), "
        + "missing \(after.missing); \(String(format: "%.1f", seconds)) s")
    #expect(after.leaked == 0 && after.missing == 0, "\(run.stdout)")
    #expect(seconds < 60, "the drill is bounded in time")
    #expect(try bed.status().status == 0)
    let again = try bed.reconcile(uri)
    #expect(
      again.stdout.contains("0 applied, 0 stopped removed, 0 orphans removed"), "converged: \(again.stdout)")
  }

  /// Microseconds of one whole `started` call of a drill guest (the median of five), the guest stopped again.
  static func hookDuration(_ bed: Testbed) throws -> UInt32 {
    var samples: [UInt32] = []
    for _ in 0..<5 {
      let start = DispatchTime.now()
      #expect(try !hookKilled(after: 10_000_000, bed, 18, "started", "begin", "-", target: true))
      samples.append(UInt32((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1000))
      try bed.stop(18)
    }
    return samples.sorted()[2]
  }

  /// Starts one hook call in the host namespace and SIGKILLs it after `delay` µs; true when it was still running.
  static func hookKilled(
    after delay: UInt32, _ bed: Testbed, _ guest: Int, _ op: String, _ subop: String, _ extra: String,
    target: Bool
  ) throws -> Bool {
    let process = try bed.startHook(guest, op, subop, extra, withTarget: target)
    // Poll rather than sleep the whole delay, so a long delay does not outlast a finished call.
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(delay) * 1000
    while process.isRunning && DispatchTime.now().uptimeNanoseconds < deadline { usleep(100) }
    let wasRunning = process.isRunning
    if wasRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return wasRunning && process.terminationReason == .uncaughtSignal
  }

  /// Objects and records that should not be there, and those that should be and are not, for `running` guests.
  static func count(_ bed: Testbed, running: Set<Int>) throws -> (leaked: Int, missing: Int) {
    let state = try KernelReadBack.read(bed.host)
    let elements = running.reduce(into: Set<String>()) { $0.formUnion(Testbed.expectedElements($1)) }
    let routes = Set(running.map { "\(Testbed.address($0)) br-ex" })
    let records = Set(
      (try? FileManager.default.contentsOfDirectory(atPath: bed.stateDirectory))?.filter {
        $0.hasSuffix(".json") && !$0.hasPrefix(".")
      } ?? [])
    let wanted = Set(running.map { "\(Testbed.uuid($0)).json" })
    let leaked =
      state.guestElements.subtracting(elements).count + state.routes.subtracting(routes).count
      + records.subtracting(wanted).count
    let missing =
      elements.subtracting(state.guestElements).count + routes.subtracting(state.routes).count
      + wanted.subtracting(records).count
    return (leaked, missing)
  }
}
