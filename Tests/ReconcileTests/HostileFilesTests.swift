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
    let engine = GuestRouting(settings: settings)
    let owner = DomainIdentity(name: "../../../x/f", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")
    #expect(engine.metadata(of: owner) == nil)
    // A FIFO under the right name is refused as well, instead of blocking.
    #expect(mkfifo(run + "/qemu/web01.xml", 0o600) == 0)
    #expect(engine.metadata(of: DomainIdentity(name: "web01", uuid: owner.uuid)) == nil)
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
}
