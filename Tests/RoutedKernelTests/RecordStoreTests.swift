import Foundation
@testable import RoutedCore
import Testing

@testable import RoutedKernel

@Suite struct RecordStoreTests {
  let directory = NSTemporaryDirectory() + "rhk-records-\(UUID().uuidString)/state"

  func record(_ uuid: String, _ name: String, address: String) -> DomainRecord {
    DomainRecord(
      domain: DomainIdentity(name: name, uuid: uuid),
      interfaces: [
        ManagedInterface(
          mac: MACAddress("52:54:00:00:00:01")!, address: IPv4Address(address)!, network: "production",
          bridge: "br-ex", uplinks: ["production"])
      ],
      objects: SamplePlan.guest(name, address))
  }

  func cleanUp() {
    _ = try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent)
  }

  @Test func writeLoadAndList() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    #expect(try store.load(uuid: "a") == nil)
    #expect(try store.all() == [])
    let first = record("a", "web01", address: "10.136.11.5")
    let second = record("b", "web02", address: "10.136.11.6")
    try store.write(first)
    try store.write(second)
    #expect(try store.load(uuid: "a") == first)
    #expect(Set(try store.all().map(\.domain.uuid)) == ["a", "b"])
    // Created private, and no temporary file left behind.
    var info = stat()
    #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.json", "b.json"])
  }

  @Test func overwriteReplacesTheWholeRecord() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.write(record("a", "web01", address: "10.136.11.5"))
    let replacement = record("a", "web01", address: "10.136.11.9")
    try store.write(replacement)
    #expect(try store.load(uuid: "a") == replacement)
  }

  @Test func deleteOfAbsentRecordIsFine() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.delete(uuid: "never-written")
    try store.write(record("a", "web01", address: "10.136.11.5"))
    try store.delete(uuid: "a")
    try store.delete(uuid: "a")
    #expect(try store.load(uuid: "a") == nil)
  }

  @Test func aStaleTemporaryFileIsIgnored() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.write(record("a", "web01", address: "10.136.11.5"))
    // What a process killed between write and rename leaves behind.
    #expect(FileManager.default.createFile(atPath: directory + "/.b.json.123.tmp", contents: Data("{".utf8)))
    #expect(try store.all().map(\.domain.uuid) == ["a"])
  }

  @Test func unsafeUUIDsAreRefused() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    #expect(throws: SystemError.self) { try store.load(uuid: "../etc/passwd") }
    #expect(throws: SystemError.self) { try store.delete(uuid: "") }
  }
}

/// Issue 11, defects 4, 5, 6 and 11: the state directory and its files are trusted only when they are what
/// routed-hook made.
@Suite struct StateDirectorySafetyTests {
  let root = NSTemporaryDirectory() + "rhk-state-\(UUID().uuidString)"
  var directory: String { root + "/state" }
  let uuid = "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c"

  func record(_ name: String = "web01") -> DomainRecord {
    DomainRecord(
      domain: DomainIdentity(name: name, uuid: uuid),
      interfaces: [
        ManagedInterface(
          mac: MACAddress("52:54:00:00:00:01")!, address: IPv4Address("10.136.11.5")!, network: "production",
          bridge: "br-ex", uplinks: ["production"])
      ],
      objects: SamplePlan.guest(name, "10.136.11.5"))
  }

  func cleanUp() { _ = try? FileManager.default.removeItem(atPath: root) }

  /// Defect 5: a symbolic link at the temporary file's name made `started` overwrite its target.
  @Test func aSymlinkAtTheTemporaryNameIsNeverWrittenThrough() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o700)
    let victim = root + "/victim"
    try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
    let temporary = "\(directory)/.\(uuid).json.\(getpid()).tmp"
    try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: victim)
    let store = RecordStore(directory: directory)
    try store.write(record())
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    #expect(try store.load(uuid: uuid) == record())
    #expect(!FileManager.default.fileExists(atPath: temporary))
  }

  /// Defect 5: a state directory others can write to (or that is a symbolic link, or someone else's) is
  /// refused with a line that says why.
  @Test func aStateDirectoryOthersCouldWriteIsRefused() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o777)
    #expect(throws: SystemError.self) { try RecordStore(directory: directory).write(record()) }
    do {
      _ = try HookLock.acquire(directory: directory)
      Issue.record("the lock was taken in a world-writable directory")
    } catch {
      #expect(
        "\(error)" == "state directory \(directory) is writable by group or others (mode 777); refused")
    }
    chmod(directory, 0o700)
    let link = root + "/link"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory)
    #expect(throws: SystemError.self) { _ = try HookLock.acquire(directory: link) }
    if geteuid() == 0 {
      chown(directory, 65534, 65534)
      do {
        _ = try HookLock.acquire(directory: directory)
        Issue.record("the lock was taken in a directory owned by nobody")
      } catch {
        #expect("\(error)" == "state directory \(directory) is owned by uid 65534, not 0; refused")
      }
    }
  }

  /// Defect 6: an empty state directory would have put the lock and records at `/`.
  @Test func anEmptyStateDirectoryIsRefused() {
    #expect(throws: SystemError.self) { _ = try HookLock.acquire(directory: "") }
    #expect(throws: SystemError.self) { try RecordStore(directory: "").write(record()) }
  }

  /// Defects 4 and 11: a record that is garbage, a FIFO (reading it hung with the lock held) or a link to
  /// /dev/zero (it grew 3 GB in 6 s) is moved aside and treated as absent, never a permanent block.
  @Test func aRecordThatIsNoRecordIsMovedAside() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.write(record())
    let path = "\(directory)/\(uuid).json"
    for make in ["garbage", "fifo", "zero", "directory", "huge"] {
      try? FileManager.default.removeItem(atPath: path)
      try? FileManager.default.removeItem(atPath: path + ".corrupt")
      switch make {
      case "garbage": try "{\"domain\": 1".write(toFile: path, atomically: false, encoding: .utf8)
      case "fifo": #expect(mkfifo(path, 0o600) == 0)
      case "zero": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
      case "directory": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      default:
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, off_t(RecordStore.maximumSize + 1)) == 0)
      }
      #expect(try store.load(uuid: uuid) == nil, "\(make)")
      #expect(!FileManager.default.fileExists(atPath: path), "\(make) left in place")
      var info = stat()
      #expect(lstat(path + ".corrupt", &info) == 0, "\(make) not moved aside")
      #expect(try store.all().isEmpty, "\(make)")
      // The domain can be recorded again.
      try store.write(record())
      #expect(try store.load(uuid: uuid) == record())
      try store.delete(uuid: uuid)
    }
    // /dev/zero itself was never touched.
    var zero = stat()
    #expect(stat("/dev/zero", &zero) == 0 && zero.st_mode & S_IFMT == S_IFCHR)
  }

  /// Defect 4: a FIFO as the lock file would have been locked forever by whoever holds it open.
  @Test func aLockFileThatIsNoFileIsRefused() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o700)
    #expect(mkfifo(directory + "/lock", 0o600) == 0)
    #expect(throws: SystemError.self) { _ = try HookLock.acquire(directory: directory) }
  }

  /// Defects 4 and 5 for `stopped`'s release marker (`release.lock`), opened O_RDWR|O_CREAT: a symbolic link
  /// planted at its name created the link's target wherever it pointed. Now neither a link nor a FIFO is
  /// opened, and nothing is created through them; a regular marker still opens.
  @Test func theReleaseMarkerIsNeverOpenedThroughALinkOrAFIFO() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o700)
    let marker = directory + "/" + DeferredRelease.markerName
    let target = root + "/created-through-the-link"
    #expect(symlink(target, marker) == 0)
    #expect(DeferredRelease.openMarker(stateDirectory: directory) == -1)
    #expect(access(target, F_OK) != 0, "the link's target was created")
    unlink(marker)
    #expect(mkfifo(marker, 0o600) == 0)
    #expect(DeferredRelease.openMarker(stateDirectory: directory) == -1)
    unlink(marker)
    let opened = DeferredRelease.openMarker(stateDirectory: directory)
    #expect(opened >= 0)
    close(opened)
    var status = stat()
    #expect(lstat(marker, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
  }
}
