import Foundation

/// Shell-level helpers for root tests: every namespace is created here and removed by `Testbed.destroy`.
enum Shell {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs a command; throws with its stderr when it fails (unless `allowFailure`).
  @discardableResult
  static func run(_ arguments: [String], allowFailure: Bool = false, stdin: Data? = nil) throws -> (
    status: Int32, out: String, err: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    if let stdin {
      let input = Pipe()
      process.standardInput = input
      try process.run()
      try input.fileHandleForWriting.write(contentsOf: stdin)
      try input.fileHandleForWriting.close()
    } else {
      process.standardInput = FileHandle.nullDevice
      try process.run()
    }
    let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let err = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus != 0 && !allowFailure {
      throw Failure(
        description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(err)")
    }
    return (process.terminationStatus, out, err)
  }

  /// `ip netns exec NS …`
  @discardableResult
  static func inNamespace(_ namespace: String, _ arguments: [String], allowFailure: Bool = false) throws -> (
    status: Int32, out: String, err: String
  ) {
    try run(["ip", "netns", "exec", namespace] + arguments, allowFailure: allowFailure)
  }

  static var isRoot: Bool { getuid() == 0 }
}
