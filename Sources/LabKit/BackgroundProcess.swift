import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A server tool (iperf3, sockperf) running in a namespace while the bench drives its client; stopped by its
/// own PID, never by name.
final class BackgroundProcess: @unchecked Sendable {
  private let process = Process()
  let argv: [String]

  /// Starts `argv` (looked up in PATH) inside namespace `namespace`, its output discarded.
  init(namespace: String, _ argv: [String]) throws {
    self.argv = ["ip", "netns", "exec", namespace] + argv
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // env and `ip netns exec` both exec, so the PID is the tool's own.
    process.arguments = self.argv
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { throw LabError("cannot start \(argv.joined(separator: " ")): \(error)") }
  }

  var isRunning: Bool { process.isRunning }

  /// Waits up to `seconds` for the process to end by itself, then kills it (SIGKILL: the lab ignores SIGTERM
  /// while it builds, and children inherit that).
  func stop(after seconds: Double = 0) {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  /// Waits until something listens on TCP `port` in `namespace` (the server is ready), up to `seconds`.
  static func waitForListener(namespace: String, port: Int, seconds: Double = 5) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      let result = try Command.run(["ip", "netns", "exec", namespace, "ss", "-Hltn", "sport = :\(port)"], timeout: 5)
      if result.succeeded && !result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
      usleep(25_000)
    }
    throw LabError("nothing listens on port \(port) in \(namespace) after \(seconds) s")
  }
}
