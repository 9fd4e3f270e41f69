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

  /// A text file whole, for `--config` and `--domain-xml`.
  static func text(_ path: String) throws -> String {
    switch try Files.read(path) {
    case .contents(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .missing: throw CLIError("\(path) does not exist")
    case .tooLarge(let size): throw CLIError("\(path) is \(size) bytes, over the 16 MiB limit")
    }
  }
}

/// A CLI failure: one line, exit 1.
struct CLIError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }

  /// Runs `body`, turning any error into a one-line CLIError.
  static func wrap<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError { throw error } catch { throw CLIError("\(error)") }
  }
}
