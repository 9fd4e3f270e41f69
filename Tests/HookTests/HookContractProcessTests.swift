import Foundation
import Testing

/// The hook contract, checked on the real binary: exit codes, stderr lines, and never a byte on stdout.
@Suite struct HookContractProcessTests {
  let scratch: ScratchDirectory
  let environment: [String: String]

  init() throws {
    scratch = try ScratchDirectory()
    environment = scratch.lpar11Environment
  }

  @Test func unmanagedDomainExitsZeroWithoutAConfig() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    for op in [
      ["prepare", "begin", "-"], ["started", "begin", "-"], ["stopped", "end", "-"],
      ["release", "end", "destroyed"],
    ] {
      let result = try HookProcess.run(
        ["web01"] + op, stdin: try Examples.data("web01.xml"),
        environment: [
          "ROUTED_HOOK_CONFIG": scratch.url.appendingPathComponent("absent.yaml").path,
          "ROUTED_HOOK_STATE_DIR": environment["ROUTED_HOOK_STATE_DIR"]!,
        ],
        executable: hook)
      #expect(result.status == 0, "\(op): \(result.stderr)")
      #expect(result.stdout.isEmpty)
      #expect(result.stderr.isEmpty)
    }
  }

  /// `arrived` and `leaving` (one argument parser, one lookup under the hook lock) on a domain with no record
  /// here: before any hook ran (no state directory) and with an empty one, one stderr line naming it, exit 1.
  @Test(arguments: ["arrived", "leaving"])
  func handoverCommandsNameADomainWithNoRecord(command: String) throws {
    for makeStateDirectory in [false, true] {
      if makeStateDirectory {
        try FileManager.default.createDirectory(
          atPath: environment["ROUTED_HOOK_STATE_DIR"]!, withIntermediateDirectories: true)
      }
      let result = try HookProcess.run([command, "web01"], environment: environment)
      #expect(result.status == 1, "\(command), state directory made: \(makeStateDirectory)")
      #expect(
        result.stderr
          == "Error: web01: no record of a domain by that name or UUID; nothing is routed for it here\n")
      #expect(result.stdout.isEmpty)
    }
  }

  @Test func domainOnAForeignBridgeIsUnmanaged() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let xml = try String(contentsOfFile: Examples.path("web01.xml"), encoding: .utf8)
      .replacingOccurrences(of: "<source bridge='br-ex'/>", with: "<source bridge='virbr0'/>")
    let result = try HookProcess.run(
      ["web01", "started", "begin", "-"], stdin: Data(xml.utf8), environment: environment, executable: hook)
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.isEmpty)
  }

  /// `Tests/RoutedCoreTests/Fixtures/unmanaged/`: domains shaped like libvirt's test-suite XMLs.
  static func unmanagedFixture(_ name: String) throws -> Data {
    try Data(
      contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RoutedCoreTests/Fixtures/unmanaged/\(name).xml"))
  }

  /// Every operation, under a config with `domains:` (so the raw-byte shortcut does not apply and the XML is
  /// parsed) and with a state directory (so removal looks for a record): exit 0, not a byte of output, nothing
  /// written.
  @Test(arguments: [
    "test-driver-default", "lxc-no-uuid", "nics-elsewhere-no-uuid", "foreign-metadata",
    "broken-parts-elsewhere",
  ])
  func aDomainWithNoManagedNICIsIgnoredWhateverItLacks(fixture: String) throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let state = environment["ROUTED_HOOK_STATE_DIR"]!
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    for op in [
      ["prepare", "begin", "-"], ["start", "begin", "-"], ["started", "begin", "-"],
      ["reconnect", "begin", "-"],
      ["migrate", "begin", "-"], ["restore", "begin", "-"], ["stopped", "end", "-"],
      ["release", "end", "destroyed"],
    ] {
      let result = try HookProcess.run(
        ["guest"] + op, stdin: try Self.unmanagedFixture(fixture), environment: environment, executable: hook)
      #expect(result.status == 0, "\(fixture) \(op): \(result.stderr)")
      #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(fixture) \(op): \(result.stderr)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty)
  }

  /// The positive control: the same lack on a NIC routed-hook would route refuses the start, in one line.
  @Test func aManagedDomainWithoutAUUIDIsRefused() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let xml = try Self.unmanagedFixture("managed-no-uuid")
    let prepare = try HookProcess.run(
      ["db01", "prepare", "begin", "-"], stdin: xml, environment: environment, executable: hook)
    #expect(prepare.status == 1)
    #expect(prepare.stderr == "routed-hook: prepare db01: domain db01: <uuid> '' is not a UUID\n")
    #expect(prepare.stdout.isEmpty)
    let release = try HookProcess.run(
      ["db01", "release", "end", "destroyed"], stdin: xml, environment: environment, executable: hook)
    #expect(release.status == 0 && release.stdout.isEmpty, "\(release.stderr)")
  }

  @Test(arguments: [
    (
      ["web01", "started", "begin"],
      "routed-hook: expected 4 arguments (<name> <op> <subop> <extra>) as libvirt passes them, got 3\n"
    ),
    (
      ["web01", "exploded", "begin", "-"],
      "routed-hook: unknown qemu hook operation 'exploded' (known: prepare, start, started, stopped, release, migrate, restore, reconnect, attach)\n"
    ),
  ])
  func badArgumentsFailWithOneLine(arguments: [String], message: String) throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let result = try HookProcess.run(
      arguments, stdin: try Examples.data("web01.xml"), environment: environment, executable: hook)
    #expect(result.status == 1)
    #expect(result.stderr == message)
    #expect(result.stdout.isEmpty)
  }

  @Test func malformedXMLIsRefusedAtPrepareAndIgnoredAtRelease() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let truncated = try Examples.data("web01.xml").prefix(700)
    let prepare = try HookProcess.run(
      ["web01", "prepare", "begin", "-"], stdin: truncated, environment: environment, executable: hook)
    #expect(prepare.status == 1)
    #expect(
      prepare.stderr.hasPrefix("routed-hook: prepare web01: malformed domain XML: "), "\(prepare.stderr)")
    #expect(prepare.stdout.isEmpty)
    let release = try HookProcess.run(
      ["web01", "release", "end", "destroyed"], stdin: truncated, environment: environment, executable: hook)
    #expect(release.status == 0, "\(release.stderr)")
    #expect(release.stdout.isEmpty)
  }

  @Test func stdinOver16MiBIsRefused() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let big = Data(repeating: 0x20, count: 16 << 20 + 1)
    let result = try HookProcess.run(
      ["web01", "prepare", "begin", "-"], stdin: big, environment: environment, executable: hook)
    #expect(result.status == 1)
    #expect(
      result.stderr
        == "routed-hook: prepare web01: domain XML on stdin is 16777217 bytes, over the 16 MiB limit\n")
    #expect(result.stdout.isEmpty)
  }

  @Test func invalidManagedDomainIsRefusedAtPrepareWithTheReason() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let xml = try String(contentsOfFile: Examples.path("web01.xml"), encoding: .utf8)
      .replacingOccurrences(of: "address=\"10.136.11.5\"", with: "address=\"10.200.0.5\"")
    let result = try HookProcess.run(
      ["web01", "prepare", "begin", "-"], stdin: Data(xml.utf8), environment: environment, executable: hook)
    #expect(result.status == 1)
    #expect(
      result.stderr
        == "routed-hook: prepare web01: domain web01: NIC 52:54:00:11:00:05 address 10.200.0.5 is outside guest network 'guests' (10.136.11.0/24)\n"
    )
    #expect(result.stdout.isEmpty)
  }

  @Test func reconnectNeverFails() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    let result = try HookProcess.run(
      ["web01", "reconnect", "begin", "-"], stdin: Data("<domain".utf8), environment: environment,
      executable: hook)
    #expect(result.status == 0)
    #expect(result.stderr.contains("(ignored: libvirt must not fail this operation)"))
    #expect(result.stdout.isEmpty)
  }

  @Test func migrateAndRestoreWriteNothingToStdout() throws {
    let hook = try HookProcess.installedAs(kind: "qemu", in: scratch.url)
    for op in [["migrate", "begin", "-"], ["restore", "begin", "-"]] {
      let xml = try String(contentsOfFile: Examples.path("web01.xml"), encoding: .utf8)
        .replacingOccurrences(of: "<source bridge='br-ex'/>", with: "<source bridge='virbr0'/>")
      let result = try HookProcess.run(
        ["web01"] + op, stdin: Data(xml.utf8), environment: environment, executable: hook)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout.isEmpty, "libvirt would take stdout as replacement XML")
    }
  }

  @Test func explicitFormBehavesLikeArgv0() throws {
    let result = try HookProcess.run(
      ["hook", "qemu", "web01", "exploded", "begin", "-"], stdin: try Examples.data("web01.xml"),
      environment: environment)
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("routed-hook: unknown qemu hook operation 'exploded'"))
    #expect(result.stdout.isEmpty)
  }

  @Test func networkHookOpsAreIgnoredForNow() throws {
    let hook = try HookProcess.installedAs(kind: "network", in: scratch.url)
    let result = try HookProcess.run(
      ["ovs-guests", "port-created", "begin", "-"], stdin: Data("<hookData/>".utf8), environment: environment,
      executable: hook)
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty)
  }
}
