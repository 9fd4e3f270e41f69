import Foundation
import RoutedCore

@testable import HookRuntime
@testable import RoutedKernel

/// A host's life through every hook op, host up/down and reconcile, in order: each op runs against the state
/// the ones before it left (records in a scratch state directory, the kernel recorded or replayed).
final class GoldenScenario {
  struct Op: Sendable {
    var name: String
    /// Done to the host before the op while recording, outside the transcript (an admin's `nft flush`).
    var beforeRecording: [String] = []
    var run: @Sendable (GoldenScenario, GuestRouting) throws -> String
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
  static let coreFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("RoutedCoreTests/Fixtures")

  let directory: URL
  let settings: Settings
  let config: HostConfig

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "rhk-transactions-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("libvirt"), withIntermediateDirectories: true)
    var settings = Settings(
      configPath: Self.fixtures.appendingPathComponent("golden.yaml").path,
      stateDirectory: directory.appendingPathComponent("state").path)
    settings.libvirtRunDirectory = directory.appendingPathComponent("libvirt").path
    self.settings = settings
    config = try ConfigLoader.load(
      yaml: String(contentsOfFile: settings.configPath, encoding: .utf8), file: "golden.yaml")
  }

  func remove() { try? FileManager.default.removeItem(at: directory) }

  /// Runs op `index` with `kernel` as the kernel of every handle it opens; returns what it reported.
  func run(_ index: Int, kernel: @escaping () throws -> KernelHandle) -> String {
    var routing = GuestRouting(settings: settings, kernel: kernel)
    routing.exitsAfterCall = true
    do { return try Self.ops[index].run(self, routing) } catch { return "error: \(error)" }
  }

  /// A hook call exactly as libvirt makes it, the XML fixture on stdin; its exit status.
  func hook(_ kind: HookKind, _ arguments: [String], stdin fixture: String, routing: GuestRouting) throws -> String {
    let descriptor = open(Self.coreFixtures.appendingPathComponent(fixture).path, O_RDONLY)
    guard descriptor >= 0 else { throw TranscriptError("cannot open \(fixture)") }
    defer { close(descriptor) }
    let status = HookRunner.run(kind: kind, arguments: arguments, routing: routing, input: descriptor)
    return "exit \(status)"
  }

  static func summary(_ report: ApplyReport?) -> String {
    guard let report else { return "nothing to do" }
    return "added \(report.added.count), removed \(report.removed.count), unchanged \(report.unchanged)"
  }

  /// An op that is one qemu hook call for web01, exactly as libvirt makes it.
  static func qemu(_ name: String, _ arguments: [String], stdin: String = "web01.xml") -> Op {
    Op(name: name) { scenario, routing in
      try scenario.hook(.qemu, ["web01"] + arguments, stdin: stdin, routing: routing)
    }
  }

  /// An op that is one network hook call for the guests' libvirt network.
  static func network(_ name: String, _ arguments: [String], stdin: String = "network/started.xml") -> Op {
    Op(name: name) { scenario, routing in
      try scenario.hook(.network, ["ovs-guests"] + arguments, stdin: stdin, routing: routing)
    }
  }

  static let ops: [Op] = [
    Op(name: "host-up") { scenario, routing in summary(try routing.hostUp(config: scenario.config)) },
    network("network-start", ["start", "begin", "-"]),
    network("network-started", ["started", "begin", "-"]),
    qemu("prepare", ["prepare", "begin", "-"]),
    qemu("start", ["start", "begin", "-"]),
    qemu("started", ["started", "begin", "-"]),
    qemu("reconnect", ["reconnect", "begin", "-"]),
    network("port-created", ["port-created", "begin", "-"], stdin: "network/port-created.xml"),
    network("port-deleted", ["port-deleted", "begin", "-"], stdin: "network/port-created.xml"),
    Op(name: "host-down-refused") { scenario, routing in
      summary(try routing.hostDown(config: scenario.config))
    },
    Op(name: "reconcile", beforeRecording: ["nft", "flush", "ruleset"]) { scenario, routing in
      let xml = try Data(contentsOf: coreFixtures.appendingPathComponent("web01.xml"))
      let web01 = try DomainXML.parse(Array(xml))
      let listing = LibvirtListing(
        domains: [ActiveDomain(identity: web01.identity, uri: "qemu:///system", description: web01)],
        connections: [LibvirtConnectionResult(uri: "qemu:///system", error: nil, driverAbsent: false)])
      return try routing.reconcile(config: scenario.config, dryRun: false) { listing }.summary()
    },
    qemu("stopped", ["stopped", "end", "-"]),
    qemu("release", ["release", "end", "destroyed"], stdin: "web01-release.xml"),
    Op(name: "host-down") { scenario, routing in summary(try routing.hostDown(config: scenario.config)) },
    network("network-stopped", ["stopped", "end", "-"]),
    // web01 migrates in: arriving at started, finished by the watch daemon's call, settled, stopped.
    qemu("migrate", ["migrate", "begin", "-"]),
    qemu("started-arriving", ["started", "begin", "-"]),
    Op(name: "arrived") { scenario, routing in
      switch try routing.finishArrival(domain: "web01") {
      case .finished(let outcome, let announced, let failures):
        return "moved: \(summary(outcome.report)); announced \(announced.count), failed \(failures)"
      case .alreadyFinished(let record): return "already \(record.preference)"
      case .noRecord: return "no record"
      }
    },
    Op(name: "settled") { scenario, routing in
      "settled \(try routing.settleMoved(after: 0).map(\.name))"
    },
    qemu("stopped-after-move", ["stopped", "end", "-"]),
    // The hook ops no step above makes: a restore checks as prepare does, updated applies the baseline.
    qemu("restore", ["restore", "begin", "-"]),
    network("network-updated", ["updated", "begin", "-"]),
    // web01 runs here again and migrates away: withdrawn at the pause, restored when the migration fails.
    qemu("started-again", ["started", "begin", "-"]),
    Op(name: "leaving") { scenario, routing in
      try routing.migrationEvent(.pausedForMigration, domain: "web01").summary ?? "nothing to do"
    },
    Op(name: "resumed") { scenario, routing in
      try routing.migrationEvent(.resumed, domain: "web01").summary ?? "nothing to do"
    },
  ]

  /// `Fixtures/NN-name.transcript`: the op's result, then its transcript.
  static func fixtureURL(_ index: Int) -> URL {
    fixtures.appendingPathComponent(String(format: "%02d-%@.transcript", index, ops[index].name))
  }

  static func load(_ index: Int) throws -> (result: String, transcript: Transcript) {
    let text = try String(contentsOf: fixtureURL(index), encoding: .utf8)
    let result = text.split(separator: "\n").first { $0.hasPrefix("# result: ") }.map {
      String($0.dropFirst("# result: ".count))
    }
    return (result ?? "", try Transcript(text: text))
  }

  static func save(_ index: Int, result: String, transcript: Transcript) throws {
    let header =
      "# \(ops[index].name), recorded from a real kernel by TransactionTests/WholeTransactionTests\n"
    try (header + "# result: \(result)\n" + transcript.text).write(
      to: fixtureURL(index), atomically: true, encoding: .utf8)
  }
}
