#if canImport(Glibc)
  import Glibc
#endif
import HookRuntime
import RoutedCore
import RoutedKernel

/// Read-only looks at this host for the CLI tools.
enum LiveHost {
  /// Addresses of every interface here (and, for a config with IPv6 guest networks, what the planner reads
  /// about IPv6); nil when netlink is not available.
  static func facts(config: HostConfig? = nil) -> HostFacts? {
    guard let kernel = try? KernelHandle() else { return nil }
    let ipv6Uplinks = config.map {
      Planner.usedUplinks($0, networks: $0.guestNetworks.filter { $0.gateway6 != nil }).map(\.interface)
    }
    return try? kernel.readHostFacts(interfaces: Interfaces.names(), ipv6Uplinks: ipv6Uplinks ?? [])
  }

  /// A file's bytes, for `--config` (at most `ConfigLoader.maximumSize`) and `--domain-xml`, read as the hook
  /// reads them: the same limits and no lossy decoding, so `check` and `plan` give the hook's verdict.
  static func bytes(_ path: String, limit: Int = DomainXML.maximumSize) throws -> [UInt8] {
    switch try Files.read(path, limit: limit) {
    case .contents(let bytes): return bytes
    case .missing: throw CLIError("\(path) does not exist")
    case .tooLarge(let size): throw CLIError("\(path) is \(size) bytes, over the \(limit >> 20) MiB limit")
    }
  }

  /// The config at `path`, loaded exactly as the hook loads it.
  static func config(_ path: String, facts: HostFacts? = nil) throws -> HostConfig {
    try ConfigLoader.load(bytes: try bytes(path, limit: ConfigLoader.maximumSize), file: path, facts: facts)
  }
}

/// A CLI failure: one line, exit 1.
struct CLIError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }

  /// Runs `body`, turning any error into a one-line CLIError.
  static func wrap<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError { throw error } catch {
      throw CLIError(PlanText.escapedControls("\(error)"))
    }
  }
}
