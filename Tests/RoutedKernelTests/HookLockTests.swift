import Foundation
import Synchronization
import Testing

@testable import RoutedKernel

@Suite struct HookLockTests {
  let directory = NSTemporaryDirectory() + "rhk-lock-\(UUID().uuidString)"

  @Test func threadsTakeTurns() throws {
    defer { _ = try? FileManager.default.removeItem(atPath: directory) }
    let inside = Atomic<Int>(0)
    let overlaps = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      guard let lock = try? HookLock.acquire(directory: directory) else {
        failures.add(1, ordering: .sequentiallyConsistent)
        return
      }
      if inside.add(1, ordering: .sequentiallyConsistent).newValue > 1 {
        overlaps.add(1, ordering: .sequentiallyConsistent)
      }
      usleep(20_000)
      inside.subtract(1, ordering: .sequentiallyConsistent)
      lock.close()
    }
    #expect(failures.load(ordering: .sequentiallyConsistent) == 0)
    #expect(overlaps.load(ordering: .sequentiallyConsistent) == 0)
  }

  @Test func anotherProcessWaitsUntilRelease() throws {
    defer { _ = try? FileManager.default.removeItem(atPath: directory) }
    let lock = try HookLock.acquire(directory: directory)
    // flock(1) -n fails at once (exit 1) while the lock is held by this process.
    #expect(throws: CommandFailure.self) { try run(["flock", "-n", directory + "/lock", "true"]) }
    lock.close()
    try run(["flock", "-n", directory + "/lock", "true"])
  }

  @Test func releasedOnDeinit() throws {
    defer { _ = try? FileManager.default.removeItem(atPath: directory) }
    do { _ = try HookLock.acquire(directory: directory) }
    try run(["flock", "-n", directory + "/lock", "true"])
  }
}
