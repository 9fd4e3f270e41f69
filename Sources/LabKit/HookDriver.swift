import Foundation

/// Runs routed-hook exactly as libvirt does: inside the host's namespace, cleared environment, XML on stdin.
public struct HookDriver: Sendable {
  public let names: LabNames
  public let hookPath: String

  public init(names: LabNames, hookPath: String) {
    self.names = names
    self.hookPath = hookPath
  }

  /// Where routed-lab looks when no `--hook` is given: beside its own executable (a build), then where the
  /// package puts it, then where hooks/install does.
  public static func defaultPath() -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let sibling = (executable as NSString).deletingLastPathComponent + "/routed-hook"
    let candidates = [sibling, "/usr/sbin/routed-hook", "/usr/local/sbin/routed-hook"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? sibling
  }

  /// libvirt clears the environment but for these; the lab adds only the two routed-hook variables.
  /// `config` replaces the host's hook config (and its records) for calls that only check an intent.
  func environment(host: String, config: String? = nil) -> [String] {
    [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "HOME=/root",
      "USER=root",
      "LOGNAME=root", "ROUTED_HOOK_CONFIG=\(config ?? names.hookConfig(host))",
      "ROUTED_HOOK_STATE_DIR=\(config == nil ? names.hookStateDirectory(host) : names.scratchStateDirectory(host))",
      "ROUTED_HOOK_LIBVIRT_RUN_DIR=\(names.libvirtRunDirectory(host))",
    ]
  }

  /// The full argv for one hook call (`op subop extra` as libvirt passes them, `-` for empty).
  public func argv(host: String, arguments: [String], config: String? = nil) -> [String] {
    ["ip", "netns", "exec", names.namespace(host), "env", "-i"] + environment(host: host, config: config)
      + [hookPath] + arguments
  }

  /// One qemu hook call for a domain; the caller decides what a failure means for that op.
  public func qemu(
    host: String, domain: String, op: String, subop: String, extra: String = "-", xml: String,
    config: String? = nil
  ) throws -> CommandResult {
    guard FileManager.default.isExecutableFile(atPath: hookPath) else {
      throw LabError("routed-hook not found at \(hookPath) (build it, or pass --hook PATH)")
    }
    // libvirt has no timeout; the lab has one so a hung hook fails the run instead of hanging it.
    return try Command.run(
      argv(host: host, arguments: ["hook", "qemu", domain, op, subop, extra], config: config), stdin: xml,
      timeout: 30)
  }

  /// One network hook call (`<network> <op> <subop> -`) with `<hookData>` on stdin.
  public func network(host: String, network: String, op: String, subop: String, hookData: String) throws
    -> CommandResult
  {
    try requireBinary()
    return try Command.run(
      argv(host: host, arguments: ["hook", "network", network, op, subop, "-"]), stdin: hookData, timeout: 30)
  }

  /// Any other routed-hook command in the host's namespace, with the hook's environment.
  public func command(host: String, _ arguments: [String]) throws -> CommandResult {
    try requireBinary()
    return try Command.run(argv(host: host, arguments: arguments), timeout: 60)
  }

  private func requireBinary() throws {
    guard FileManager.default.isExecutableFile(atPath: hookPath) else {
      throw LabError("routed-hook not found at \(hookPath) (build it, or pass --hook PATH)")
    }
  }

  /// `routed-hook status --json` for one host, as printed.
  public func status(host: String) throws -> CommandResult {
    guard FileManager.default.isExecutableFile(atPath: hookPath) else {
      throw LabError("routed-hook not found at \(hookPath)")
    }
    return try Command.run(argv(host: host, arguments: ["status", "--json"]), timeout: 30)
  }
}
