import RoutedCore

/// Where routed-hook reads its config and keeps its records.
public struct Settings: Sendable, Equatable {
  public var configPath: String
  public var stateDirectory: String
  /// libvirt's run directory, whose `qemu/NAME.xml` status files give the network hook a domain's metadata.
  public var libvirtRunDirectory = "/run/libvirt"

  /// The default directory for per-domain records and the lock.
  public static let defaultStateDirectory = "/run/routed-hook"

  public init(configPath: String, stateDirectory: String) {
    self.configPath = configPath
    self.stateDirectory = stateDirectory
  }

  /// Explicit values first, then `ROUTED_HOOK_CONFIG` / `ROUTED_HOOK_STATE_DIR`, then the defaults.
  public static func resolve(config: String?, stateDirectory: String?, environment: [String: String])
    -> Settings
  {
    resolve(config: config, stateDirectory: stateDirectory) { environment[$0] }
  }

  /// As above, with the environment as a lookup.
  static func resolve(config: String?, stateDirectory: String?, variable lookup: (String) -> String?) -> Settings {
    // Set but empty is unset: an empty state directory would put the lock and records at `/`.
    func variable(_ name: String) -> String? { lookup(name).flatMap { $0.isEmpty ? nil : $0 } }
    var settings = Settings(
      configPath: config ?? variable("ROUTED_HOOK_CONFIG") ?? ConfigLoader.defaultPath,
      stateDirectory: stateDirectory ?? variable("ROUTED_HOOK_STATE_DIR") ?? defaultStateDirectory)
    if let run = variable("ROUTED_HOOK_LIBVIRT_RUN_DIR") { settings.libvirtRunDirectory = run }
    return settings
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension Settings {
  /// The variables routed-hook reads; libvirt clears the rest of the environment anyway.
  public static func environment() -> [String: String] {
    var values: [String: String] = [:]
    for name in ["ROUTED_HOOK_CONFIG", "ROUTED_HOOK_STATE_DIR", "ROUTED_HOOK_LIBVIRT_RUN_DIR"] {
      if let value = getenv(name) { values[name] = String(cString: value) }
    }
    return values
  }

  /// Settings from the environment alone, as in a libvirt hook call. Straight from getenv: a
  /// `[String: String]` would cost every hook call a scan of the binary's protocol conformances.
  public static func fromEnvironment() -> Settings {
    resolve(config: nil, stateDirectory: nil) { name in getenv(name).map { String(cString: $0) } }
  }
}
