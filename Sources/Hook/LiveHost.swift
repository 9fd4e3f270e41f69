#if canImport(Glibc)
  import Glibc
#endif
import HookRuntime
import RoutedCore
import RoutedKernel

/// Read-only looks at this host for the CLI tools.
enum LiveHost {
  /// Addresses of every interface named by the config that exists here; nil when netlink is not available.
  static func facts(for config: HostConfig? = nil) -> HostFacts? {
    guard let kernel = try? KernelApplier() else { return nil }
    let names = config.map { $0.guestNetworks.map(\.bridge) + $0.uplinks.map(\.interface) } ?? []
    guard let read = try? kernel.readHostFacts(interfaces: names) else { return nil }
    var facts = HostFacts()
    for name in names where if_nametoindex(name) != 0 { facts.addresses[name] = read.addresses[name] ?? [] }
    return facts
  }

  static func configText(_ settings: Settings) throws -> String {
    guard let text = try? String(contentsOfFile: settings.configPath, encoding: .utf8) else {
      throw CLIError("cannot read config \(settings.configPath)")
    }
    return text
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
