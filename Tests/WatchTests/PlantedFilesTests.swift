import Dispatch
import Synchronization
import Foundation
import Glibc
import HookRuntime
import RoutedCore
import Testing

@testable import RoutedKernel

/// Issue 11's defects 4 and 5 for the files the watch daemon brought into the state directory: a symbolic
/// link planted at one of their names is never written through, and a FIFO never blocks the hook or `status`.
@Suite struct PlantedFilesTests {
  let directory: String
  let victim: String
  let victimBytes = Array("the victim's own bytes\n".utf8)

  init() throws {
    var template = Array("/tmp/rh-planted-XXXXXX".utf8CString)
    directory = String(cString: mkdtemp(&template)!)
    victim = directory + "/victim"
    try #require(Self.write(victimBytes, to: victim))
  }

  static func write(_ bytes: [UInt8], to path: String) -> Bool {
    let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    defer { close(file) }
    return file >= 0 && bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) } == bytes.count
  }

  static func contents(_ path: String) -> [UInt8]? {
    guard case .contents(let bytes)? = try? Files.read(path) else { return nil }
    return bytes
  }

  func cleanUp() {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names { unlink(directory + "/" + name) }
    rmdir(directory)
  }

  /// Runs `body` on another thread and reports whether it returned within 5 s. If it did not (blocked opening
  /// `fifo`), a writer is opened on the FIFO so that the blocked reader returns and the test can end.
  func returnsPromptly(unblocking fifo: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      body()
      done.signal()
    }
    if done.wait(timeout: .now() + 5) == .success { return true }
    let writer = open(fifo, O_WRONLY | O_NONBLOCK)
    _ = done.wait(timeout: .now() + 5)
    if writer >= 0 { close(writer) }
    return false
  }

  @Test func aSymlinkAtTheCountersIsNotWrittenThrough() throws {
    defer { cleanUp() }
    try #require(symlink(victim, directory + "/" + HookCallCounters.fileName) == 0)
    HookCallCounters.count(kind: .qemu, operation: "started", outcome: .ok, stateDirectory: directory)
    // Before: the victim was grown to 4096 bytes and its first 8 overwritten with the counters' magic.
    #expect(Self.contents(victim) == victimBytes)
    #expect(HookCallCounters.read(stateDirectory: directory).isEmpty)
  }

  @Test func aFIFOAtTheCountersOrTheWatchLockNeverBlocks() throws {
    defer { cleanUp() }
    let counters = directory + "/" + HookCallCounters.fileName
    let lock = directory + "/" + WatchPresence.lockName
    try #require(mkfifo(counters, 0o600) == 0 && mkfifo(lock, 0o600) == 0)
    let directory = directory
    #expect(
      returnsPromptly(unblocking: counters) {
        HookCallCounters.count(kind: .qemu, operation: "started", outcome: .ok, stateDirectory: directory)
      })
    #expect(returnsPromptly(unblocking: counters) { _ = HookCallCounters.read(stateDirectory: directory) })
    // Before: `routed-hook status` blocked in open(2) on the lock until someone wrote to the FIFO.
    let running = Mutex(true)
    #expect(
      returnsPromptly(unblocking: lock) {
        running.withLock { $0 = WatchPresence.isRunning(stateDirectory: directory) }
      })
    #expect(running.withLock { !$0 })
    #expect(throws: SystemError("\(lock) is not a regular file; refused")) {
      try WatchPresence.claim(stateDirectory: directory)
    }
  }

  @Test func aSymlinkAtTheTemporaryNameIsNotWrittenThrough() throws {
    defer { cleanUp() }
    let path = directory + "/watch.status"
    try #require(symlink(victim, "\(path).tmp.\(getpid())") == 0)
    try AtomicFile.write(Array("{}".utf8), to: path)
    #expect(Self.contents(victim) == victimBytes)
    #expect(Self.contents(path) == Array("{}".utf8))
    var info = stat()
    #expect(lstat("\(path).tmp.\(getpid())", &info) != 0, "the planted link is gone, nothing left behind")
  }
}
