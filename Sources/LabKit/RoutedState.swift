import Foundation
import RoutedCore

/// Everything routed-hook keeps in a host namespace, read with independent tools, as comparable lines: the
/// per-guest objects (`KernelObjects`), every chain, set and rule of routed-hook's tables (handles left out,
/// as a re-created rule gets a new one), and the forwarding and proxy sysctls of the config's interfaces (IPv6's
/// too where IPv6 is on).
/// Equal before a damage and after the repair means the repair was complete.
struct RoutedState: Equatable {
  var lines: Set<String>

  static func read(namespace: String, config path: String) throws -> RoutedState {
    let config = try ConfigLoader.load(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
    // The sysctls first: they are read in-process in microseconds, while the tools below take tens of
    // milliseconds each. A re-created uplink shows only there, and the daemon may have put it back (its
    // debounce is 50 ms) before a read that started with the tools got to them.
    var lines = Set<String>()
    let interfaces = config.guestNetworks.map(\.bridge) + config.uplinks.map(\.interface)
    try NamespaceSwitch.inside(namespace) {
      for interface in interfaces {
        for key in ["ipv4/conf/\(interface)/forwarding", "ipv4/conf/\(interface)/proxy_arp"] + ipv6Keys(interface) {
          let value = FileSystem.read("/proc/sys/net/\(key)")?.trimmingCharacters(in: .whitespacesAndNewlines)
          lines.insert("sysctl \(key)=\(value ?? "absent")")
        }
      }
    }
    lines.formUnion(try KernelObjects.read(namespace: namespace, config: path).items)
    let ruleset = try Command.check(["ip", "netns", "exec", namespace, "nft", "-j", "list", "ruleset"])
    for entry in JSON(tool: ruleset)?["nftables"]?.items ?? [] {
      for kind in ["table", "chain", "set", "rule"] {
        guard let object = entry[kind], let family = object["family"]?.string,
          let table = (object["table"] ?? object["name"])?.string,
          OwnedTable.allCases.contains(where: { $0.family == family && $0.name == table })
        else { continue }
        // Handles change when a rule is made again; elements are KernelObjects' lines.
        let kept = object.members.filter { $0.key != "handle" && $0.key != "elem" }.sorted { $0.key < $1.key }
        lines.insert("\(kind) \(JSON.object(kept).text())")
      }
    }
    return RoutedState(lines: lines)
  }

  /// The IPv6 sysctls the baseline sets on an interface, where IPv6 is on (an IPv4-only lab turns it off).
  private static func ipv6Keys(_ interface: String) -> [String] {
    let disabled = FileSystem.read("/proc/sys/net/ipv6/conf/\(interface)/disable_ipv6")
    guard disabled?.trimmingCharacters(in: .whitespacesAndNewlines) == "0" else { return [] }
    return ["forwarding", "force_forwarding", "proxy_ndp", "accept_ra"].map { "ipv6/conf/\(interface)/\($0)" }
      + ["ipv6/neigh/\(interface)/proxy_delay"]
  }

  /// What `other` lacks or has beyond this state, for a failure message.
  func difference(to other: RoutedState) -> String {
    let missing = lines.subtracting(other.lines).sorted()
    let extra = other.lines.subtracting(lines).sorted()
    var parts: [String] = []
    if !missing.isEmpty { parts.append("missing \(missing.count): \(missing.prefix(3).joined(separator: "; "))") }
    if !extra.isEmpty { parts.append("extra \(extra.count): \(extra.prefix(3).joined(separator: "; "))") }
    return parts.joined(separator: "; ")
  }
}
