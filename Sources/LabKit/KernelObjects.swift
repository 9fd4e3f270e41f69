import Foundation
import RoutedCore

/// routed-hook's per-guest objects in a host namespace, read with independent tools: routes (both families) and
/// IPv6 proxy neighbour entries of the route protocol in the host's hook config (`ip -j`) and the set elements of routed-hook's tables, comment
/// included (`nft -j`). The protocol and the tables come from routed-hook's own config loader and table
/// list, so a config with another `routeProtocol` is counted too.
struct KernelObjects {
  var items: Set<String>

  static func read(namespace: String, config path: String) throws -> KernelObjects {
    let config = try ConfigLoader.load(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
    var items = Set<String>()
    for family in ["-4", "-6"] {
      let routes = try Command.check([
        "ip", "-n", namespace, family, "-j", "route", "show", "proto", "\(config.routeProtocol)", "table", "all",
      ])
      for route in JSON(tool: routes)?.items ?? [] {
        items.insert("route \(route["dst"]?.string ?? "?") dev \(route["dev"]?.string ?? "?")")
      }
    }
    // A dual-stack guest's answer on a proxy-arp uplink, tagged with the same protocol.
    let proxies = try Command.check(["ip", "-n", namespace, "-6", "-j", "neigh", "show", "proxy"])
    for entry in JSON(tool: proxies)?.items ?? [] where entry["protocol"]?.string == "\(config.routeProtocol)" {
      items.insert("proxy \(entry["dst"]?.string ?? "?") dev \(entry["dev"]?.string ?? "?")")
    }
    let ruleset = try Command.check(["ip", "netns", "exec", namespace, "nft", "-j", "list", "ruleset"])
    for entry in JSON(tool: ruleset)?["nftables"]?.items ?? [] {
      guard let set = entry["set"], let table = set["table"]?.string, let family = set["family"]?.string,
        OwnedTable.allCases.contains(where: { $0.family == family && $0.name == table }),
        let elements = set["elem"]?.array
      else { continue }
      for element in elements {
        items.insert("element \(table) \(set["name"]?.string ?? "?") \(element.text())")
      }
    }
    return KernelObjects(items: items)
  }

  func subtracting(_ other: KernelObjects) -> KernelObjects {
    KernelObjects(items: items.subtracting(other.items))
  }
  func union(_ other: KernelObjects) -> KernelObjects { KernelObjects(items: items.union(other.items)) }
  var count: Int { items.count }

  /// (objects present that should not be, objects expected that are not).
  func compare(to expected: KernelObjects) -> (leaked: Int, missing: Int) {
    (items.subtracting(expected.items).count, expected.items.subtracting(items).count)
  }
}
