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
    var engine = GuestRouting(settings: settings, kernel: kernel)
    engine.exitsAfterCall = true
    do { return try Self.ops[index].run(self, engine) } catch { return "error: \(error)" }
  }

  /// A hook call exactly as libvirt makes it, the XML fixture on stdin; its exit status.
  func hook(_ kind: HookKind, _ arguments: [String], stdin fixture: String, engine: GuestRouting) throws -> String {
    let descriptor = open(Self.coreFixtures.appendingPathComponent(fixture).path, O_RDONLY)
    guard descriptor >= 0 else { throw TranscriptError("cannot open \(fixture)") }
    defer { close(descriptor) }
    let status = HookRunner.run(kind: kind, arguments: arguments, engine: engine, input: descriptor)
    return "exit \(status)"
  }

  static func summary(_ report: ApplyReport?) -> String {
    guard let report else { return "nothing to do" }
    return "added \(report.added.count), removed \(report.removed.count), unchanged \(report.unchanged)"
  }

  static let web01 = ["web01"]
  static let network = ["ovs-guests"]

  static let ops: [Op] = [
    Op(name: "host-up") { scenario, engine in summary(try engine.hostUp(config: scenario.config)) },
    Op(name: "network-start") { scenario, engine in
      try scenario.hook(
        .network, network + ["start", "begin", "-"], stdin: "network/started.xml", engine: engine)
    },
    Op(name: "network-started") { scenario, engine in
      try scenario.hook(
        .network, network + ["started", "begin", "-"], stdin: "network/started.xml", engine: engine)
    },
    Op(name: "prepare") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["prepare", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "start") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["start", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "started") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["started", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "reconnect") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["reconnect", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "port-created") { scenario, engine in
      try scenario.hook(
        .network, network + ["port-created", "begin", "-"], stdin: "network/port-created.xml", engine: engine)
    },
    Op(name: "port-deleted") { scenario, engine in
      try scenario.hook(
        .network, network + ["port-deleted", "begin", "-"], stdin: "network/port-created.xml", engine: engine)
    },
    Op(name: "host-down-refused") { scenario, engine in
      summary(try engine.hostDown(config: scenario.config))
    },
    Op(name: "reconcile", beforeRecording: ["nft", "flush", "ruleset"]) { scenario, engine in
      let xml = try Data(contentsOf: coreFixtures.appendingPathComponent("web01.xml"))
      let web01 = try DomainXML.parse(Array(xml))
      let listing = LibvirtListing(
        domains: [ActiveDomain(identity: web01.identity, uri: "qemu:///system", description: web01)],
        connections: [LibvirtConnectionResult(uri: "qemu:///system", error: nil, driverAbsent: false)])
      return try engine.reconcile(config: scenario.config, dryRun: false) { listing }.summary()
    },
    Op(name: "stopped") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["stopped", "end", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "release") { scenario, engine in
      try scenario.hook(
        .qemu, web01 + ["release", "end", "destroyed"], stdin: "web01-release.xml", engine: engine)
    },
    Op(name: "host-down") { scenario, engine in summary(try engine.hostDown(config: scenario.config)) },
    Op(name: "network-stopped") { scenario, engine in
      try scenario.hook(
        .network, network + ["stopped", "end", "-"], stdin: "network/started.xml", engine: engine)
    },
    // web01 migrates in: arriving at started, finished by the watch daemon's call, settled, stopped.
    Op(name: "migrate") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["migrate", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "started-arriving") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["started", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "arrived") { scenario, engine in
      switch try engine.finishArrival(domain: "web01") {
      case .finished(let outcome, let announced, let failures):
        return "moved: \(summary(outcome.report)); announced \(announced.count), failed \(failures)"
      case .alreadyFinished(let record): return "already \(record.preference)"
      case .noRecord: return "no record"
      }
    },
    Op(name: "settled") { scenario, engine in
      "settled \(try engine.settleMoved(after: 0).map(\.name))"
    },
    Op(name: "stopped-after-move") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["stopped", "end", "-"], stdin: "web01.xml", engine: engine)
    },
    // The hook ops no step above makes: a restore checks as prepare does, updated applies the baseline.
    Op(name: "restore") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["restore", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "network-updated") { scenario, engine in
      try scenario.hook(
        .network, network + ["updated", "begin", "-"], stdin: "network/started.xml", engine: engine)
    },
    // web01 runs here again and migrates away: withdrawn at the pause, restored when the migration fails.
    Op(name: "started-again") { scenario, engine in
      try scenario.hook(.qemu, web01 + ["started", "begin", "-"], stdin: "web01.xml", engine: engine)
    },
    Op(name: "leaving") { scenario, engine in
      try engine.migrationEvent(.pausedForMigration, domain: "web01").summary ?? "nothing to do"
    },
    Op(name: "resumed") { scenario, engine in
      try engine.migrationEvent(.resumed, domain: "web01").summary ?? "nothing to do"
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
