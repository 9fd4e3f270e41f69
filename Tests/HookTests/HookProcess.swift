import Foundation

/// Runs the built `routed-hook` binary the way libvirt does, capturing stdout and stderr separately.
struct HookProcess {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The binary SwiftPM built next to the test bundle.
  static var binary: URL {
    let directory = Bundle.main.executableURL!.deletingLastPathComponent()
    let sibling = directory.appendingPathComponent("routed-hook")
    if FileManager.default.fileExists(atPath: sibling.path) { return sibling }
    // swift-testing may run from inside the .xctest bundle.
    return directory.deletingLastPathComponent().appendingPathComponent("routed-hook")
  }

  /// Runs `arguments` with `stdin` fed in and an environment as bare as libvirt's plus `environment`.
  static func run(
    _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:], executable: URL? = nil,
    namespace: String? = nil
  ) throws -> Result {
    let process = Process()
    if let namespace {
      process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
      process.arguments = ["netns", "exec", namespace, (executable ?? binary).path] + arguments
    } else {
      process.executableURL = executable ?? binary
      process.arguments = arguments
    }
    process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"].merging(environment) { $1 }
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let writer = Thread {
      try? input.fileHandleForWriting.write(contentsOf: stdin)
      try? input.fileHandleForWriting.close()
    }
    writer.start()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
      stderr: String(decoding: err, as: UTF8.self))
  }

  /// A symlink named like libvirt's hook path, so the binary takes the kind from argv[0].
  static func installedAs(kind: String, in directory: URL) throws -> URL {
    let hooks = directory.appendingPathComponent("\(kind).d")
    try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
    let link = hooks.appendingPathComponent("routed-hook")
    try? FileManager.default.removeItem(at: link)
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: binary)
    return link
  }
}

/// A scratch directory removed at the end of the test.
final class ScratchDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "routed-hook-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func write(_ name: String, _ text: String) throws -> String {
    let file = url.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file.path
  }

  /// The environment a process test runs the hook in: the talk's LPAR 11 config, records in `state/` here.
  var lpar11Environment: [String: String] {
    ["ROUTED_HOOK_CONFIG": Examples.path("lpar11.yaml"), "ROUTED_HOOK_STATE_DIR": url.appendingPathComponent("state").path]
  }

  deinit { try? FileManager.default.removeItem(at: url) }
}

/// The repository's examples folder.
enum Examples {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples")

  static func data(_ name: String) throws -> Data {
    try Data(contentsOf: directory.appendingPathComponent(name))
  }
  static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
