import Foundation
import LabKit

/// Shell-level helpers for root tests: every namespace is created here and removed by `Testbed.destroy`.
enum Shell {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs a command; throws with its stderr when it fails (unless `allowFailure`).
  @discardableResult
  static func run(_ arguments: [String], allowFailure: Bool = false) throws -> (
    status: Int32, out: String, err: String
  ) {
    let result = try Command.run(
      arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"], timeout: 600)
    if !result.succeeded && !allowFailure {
      throw Failure(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return (result.status, result.stdout, result.stderr)
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
