import Dispatch
import Foundation
import RoutedCore
import RoutedKernel
import Testing

@testable import HookRuntime

/// Issue 11, defects 4 and 6: what the hook reads from the file system is bounded and never blocks.
@Suite struct HostileFilesTests {
  let root = NSTemporaryDirectory() + "rhk-files-\(UUID().uuidString)"

  func cleanUp() { _ = try? FileManager.default.removeItem(atPath: root) }

  /// Defect 6: `ROUTED_HOOK_STATE_DIR=` (set but empty) meant `/`.
  @Test func emptyVariablesMeanTheDefaults() {
    let settings = Settings.resolve(
      config: nil, stateDirectory: nil,
      environment: ["ROUTED_HOOK_STATE_DIR": "", "ROUTED_HOOK_CONFIG": "", "ROUTED_HOOK_LIBVIRT_RUN_DIR": ""])
    #expect(settings.stateDirectory == "/run/routed-hook")
    #expect(settings.configPath == "/etc/libvirt/routed-hook.yaml")
    #expect(settings.libvirtRunDirectory == "/run/libvirt")
  }

  /// Defect 4: a FIFO or a device as the config blocked forever (with the lock held, for a record); only
  /// regular files are read, and a regular file over the limit is refused without reading it.
  @Test func onlyRegularFilesAreRead() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let fifo = root + "/config.yaml"
    #expect(mkfifo(fifo, 0o600) == 0)
    for path in [fifo, "/dev/zero", root] {
      do {
        _ = try Files.read(path)
        Issue.record("\(path) was read")
      } catch {
        #expect("\(error)" == "\(path) is not a regular file; refused" || path == root, "\(error)")
      }
    }
    let link = root + "/link.yaml"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/etc/hostname")
    #expect(throws: SystemError.self) { _ = try Files.read(link, followLinks: false) }
    let large = root + "/large.yaml"
    #expect(FileManager.default.createFile(atPath: large, contents: nil))
    #expect(truncate(large, 100 << 20) == 0)
    guard case .tooLarge(let size) = try Files.read(large, limit: ConfigLoader.maximumSize) else {
      Issue.record("a 100 MB config was read")
      return
    }
    #expect(size == 100 << 20)
  }

  /// Defect 4: a port owner named `../../x/f` reached a FIFO through libvirt's status directory and hung.
  @Test func aPortOwnerWithAPathInItsNameReadsNothing() throws {
    defer { cleanUp() }
    let run = root + "/run/libvirt"
    try FileManager.default.createDirectory(atPath: run + "/qemu", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: root + "/x", withIntermediateDirectories: true)
    #expect(mkfifo(root + "/x/f.xml", 0o600) == 0)
    var settings = Settings(configPath: root + "/none.yaml", stateDirectory: root + "/state")
    settings.libvirtRunDirectory = run
    let routing = GuestRouting(settings: settings)
    let owner = DomainIdentity(name: "../../../x/f", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")
    #expect(routing.metadata(of: owner) == nil)
    // A FIFO under the right name is refused as well, instead of blocking.
    #expect(mkfifo(run + "/qemu/web01.xml", 0o600) == 0)
    #expect(routing.metadata(of: DomainIdentity(name: "web01", uuid: owner.uuid)) == nil)
  }

  /// Defect 4: a stream that never ends (`yes |`, `/dev/zero`) is read no further than the drain limit and
  /// kept no further than the size limit.
  @Test func anEndlessStreamStops() throws {
    let zero = open("/dev/zero", O_RDONLY)
    defer { close(zero) }
    guard case .tooLarge(let seen) = try Files.readAll(FileDescriptor(rawValue: zero), limit: 1 << 20, what: "stdin")
    else {
      Issue.record("an endless stream was read whole")
      return
    }
    #expect(seen > 1 << 20 && seen <= FileDescriptor.drainLimit + 65536)
  }

  // MARK: migration markers (`migrate begin` writes `<uuid>.incoming`, `started` takes it under the hook lock)

  static let uuid = "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c"

  /// What is at `path` itself (lstat): nil when nothing is, so a dangling link still counts as there.
  static func type(_ path: String) -> mode_t? {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
  }

  /// A marker that is no boot-clock second in a regular file is not read (a FIFO or `/dev/zero` would hold the
  /// hook lock, a link would let any file decide the claim) and is removed, so it cannot make a later start
  /// arrive; a negative second (Int.min trapped `started`'s arithmetic) is no marker either.
  @Test func aMarkerThatIsNoRegularFileIsRemovedUnread() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let markers = IncomingMigrations(stateDirectory: root)
    let marker = try #require(markers.path(Self.uuid))
    let target = root + "/target"
    try "1000\n".write(toFile: target, atomically: false, encoding: .utf8)
    let plants: [(String, () -> Bool)] = [
      ("a FIFO", { mkfifo(marker, 0o600) == 0 }),
      ("a link to a second", { symlink(target, marker) == 0 }),
      ("a link to /dev/zero", { symlink("/dev/zero", marker) == 0 }),
      ("a directory", { mkdir(marker, 0o700) == 0 }),
      ("65 digits", { FileManager.default.createFile(atPath: marker, contents: Data(repeating: 0x31, count: 65)) }),
      ("Int.min", { FileManager.default.createFile(atPath: marker, contents: Data("-9223372036854775808\n".utf8)) }),
    ]
    for (what, plant) in plants {
      try #require(plant(), "\(what)")
      #expect(markers.take(Self.uuid) == nil, "\(what)")
      if Self.type(marker) == S_IFDIR { rmdir(marker) } else { #expect(Self.type(marker) == nil, "\(what) left") }
    }
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "1000\n")
    // The control: a marker as `migrate begin` writes it is read, and taken once.
    try markers.mark(Self.uuid, now: 1000)
    #expect(markers.take(Self.uuid) == 1000)
    #expect(markers.take(Self.uuid) == nil)
  }

  /// `migrate begin` wrote its marker with O_CREAT|O_TRUNC: through a symbolic link planted at the name (the
  /// target truncated and overwritten), and blocking forever on a FIFO there. Now the name gets a new file.
  @Test(.timeLimit(.minutes(1))) func markingNeverWritesThroughWhatIsPlanted() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let markers = IncomingMigrations(stateDirectory: root)
    let marker = try #require(markers.path(Self.uuid))
    let victim = root + "/victim"
    try "the victim's own bytes\n".write(toFile: victim, atomically: false, encoding: .utf8)
    try #require(symlink(victim, marker) == 0)
    try markers.mark(Self.uuid, now: 42)
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "the victim's own bytes\n")
    #expect(Self.type(marker) == S_IFREG)
    #expect(markers.take(Self.uuid) == 42)

    try #require(mkfifo(marker, 0o600) == 0)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      try? markers.mark(Self.uuid, now: 43)
      done.signal()
    }
    let prompt = done.wait(timeout: .now() + 5) == .success
    if !prompt {
      // Blocked opening the FIFO for writing: a reader lets it go, so the test can end.
      let reader = open(marker, O_RDONLY | O_NONBLOCK)
      _ = done.wait(timeout: .now() + 5)
      if reader >= 0 { close(reader) }
    }
    #expect(prompt, "mark blocked on a FIFO at the marker's name")
    #expect(Self.type(marker) == S_IFREG)
    #expect(markers.take(Self.uuid) == 43)
  }

  /// A name with a path component or a leading dot names no marker: nothing is written outside the state
  /// directory or as a hidden file in it.
  @Test func aMarkerNameWithAPathNamesNoFile() throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
    let markers = IncomingMigrations(stateDirectory: root + "/state")
    for name in ["", "../escape", ".hidden", "a/b"] {
      #expect(markers.path(name) == nil, "\(name)")
      try markers.mark(name, now: 1)
      #expect(markers.take(name) == nil)
    }
    #expect(Self.type(root + "/escape.incoming") == nil)
    #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/state").isEmpty)
  }
}
