import Foundation

/// Runs routed-hook exactly as libvirt does: inside the host's namespace, cleared environment, XML on stdin.
public struct HookDriver: Sendable {
  public let names: LabNames
  public let hookPath: String

  public init(names: LabNames, hookPath: String) {
    self.names = names
    self.hookPath = hookPath
  }

  /// Where routed-lab looks when no `--hook` is given: beside its own executable, then the install location.
  public static func defaultPath() -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let sibling = (executable as NSString).deletingLastPathComponent + "/routed-hook"
    return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "/usr/local/libexec/routed-hook"
  }

  /// libvirt clears the environment but for these; the lab adds only the two routed-hook variables.
  func environment(host: String) -> [String] {
    [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "HOME=/root",
      "USER=root",
      "LOGNAME=root", "ROUTED_HOOK_CONFIG=\(names.hookConfig(host))",
      "ROUTED_HOOK_STATE_DIR=\(names.hookStateDirectory(host))",
    ]
  }

  /// The full argv for one hook call (`op subop extra` as libvirt passes them, `-` for empty).
  public func argv(host: String, arguments: [String]) -> [String] {
    ["ip", "netns", "exec", names.namespace(host), "env", "-i"] + environment(host: host) + [hookPath]
      + arguments
  }

  /// One qemu hook call for a domain; the caller decides what a failure means for that op.
  public func qemu(host: String, domain: String, op: String, subop: String, extra: String = "-", xml: String)
    throws
    -> CommandResult
  {
    guard FileManager.default.isExecutableFile(atPath: hookPath) else {
      throw LabError("routed-hook not found at \(hookPath) (build it, or pass --hook PATH)")
    }
    // libvirt has no timeout; the lab has one so a hung hook fails the run instead of hanging it.
    return try Command.run(
      argv(host: host, arguments: ["hook", "qemu", domain, op, subop, extra]), stdin: xml, timeout: 30)
  }

  /// `routed-hook status --json` for one host, as printed.
  public func status(host: String) throws -> CommandResult {
    guard FileManager.default.isExecutableFile(atPath: hookPath) else {
      throw LabError("routed-hook not found at \(hookPath)")
    }
    return try Command.run(argv(host: host, arguments: ["status", "--json"]), timeout: 30)
  }
}
