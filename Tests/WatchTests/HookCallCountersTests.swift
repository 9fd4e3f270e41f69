import Dispatch
import Glibc
import RoutedCore
@testable import RoutedKernel
import Testing

/// The hook's call counters: concurrent processes add without a lock, and nothing is lost.
@Suite struct HookCallCountersTests {
  @Test func countsByKindOperationAndOutcomeAcrossProcesses() throws {
    var template = Array("/tmp/rh-counters-XXXXXX".utf8CString)
    let directory = String(cString: mkdtemp(&template)!)
    defer {
      unlink(directory + "/" + HookCallCounters.fileName)
      rmdir(directory)
    }
    // Eight threads, 500 calls each, all on the same two slots. Each call maps the file anew, as each hook
    // process does, so threads share nothing but the file's pages (a fork in a threaded test runner could
    // deadlock on a lock another thread held).
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for index in 0..<500 {
        HookCallCounters.count(
          kind: .qemu, operation: "started", outcome: index % 5 == 0 ? .refused : .ok, stateDirectory: directory)
      }
    }
    HookCallCounters.count(kind: .network, operation: "port-deleted", outcome: .failedIgnored, stateDirectory: directory)
    HookCallCounters.count(kind: .lxc, operation: "no-such-op", outcome: .ok, stateDirectory: directory)
    let counts = HookCallCounters.read(stateDirectory: directory)
    #expect(
      counts == [
        .init(kind: .qemu, operation: "started", outcome: .ok, calls: 3200),
        .init(kind: .qemu, operation: "started", outcome: .refused, calls: 800),
        .init(kind: .network, operation: "port-deleted", outcome: .failedIgnored, calls: 1),
      ])
  }

  @Test func aMissingStateDirectoryLeavesTheCallUncounted() {
    HookCallCounters.count(kind: .qemu, operation: "prepare", outcome: .ok, stateDirectory: "/nonexistent/rh")
    #expect(HookCallCounters.read(stateDirectory: "/nonexistent/rh").isEmpty)
  }
}
