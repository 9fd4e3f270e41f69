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

  /// Waits until something listens on TCP `port` in `namespace` (the server is ready), up to `seconds`:
  /// a socket in state LISTEN (0A) on that local port in the namespace's /proc/net/tcp or tcp6.
  static func waitForListener(namespace: String, port: Int, seconds: Double = 5) throws {
    let deadline = Date().addingTimeInterval(seconds)
    let local = ":" + String(format: "%04X", port)
    while Date() < deadline {
      // iperf3 listens on a dual-stack IPv6 socket, which only /proc/net/tcp6 lists.
      let table = try NamespaceSwitch.inside(namespace) {
        ["tcp", "tcp6"].compactMap { FileSystem.read("/proc/thread-self/net/\($0)") }.joined()
      }
      let listening = table.split(separator: "\n").contains { line in
        let fields = line.split(separator: " ")
        return fields.count > 3 && fields[1].hasSuffix(local) && fields[3] == "0A"
      }
      if listening { return }
      usleep(20_000)
    }
    throw LabError("nothing listens on port \(port) in \(namespace) after \(seconds) s")
  }
}
