import Foundation

/// Kernel state read back with independent tools (`nft -j`, `ip -j`), never through routed-hook's code.
struct KernelReadBack: Equatable {
  /// "family table set key # comment" per element.
  var elements: Set<String>
  /// "family table" per table.
  var tables: Set<String>
  /// "dst dev" per route with protocol 151.
  var routes: Set<String>

  static func read(_ namespace: String) throws -> KernelReadBack {
    let ruleset = try Shell.inNamespace(namespace, ["nft", "-j", "list", "ruleset"]).out
    let root = try JSONSerialization.jsonObject(with: Data(ruleset.utf8)) as! [String: Any]
    var elements = Set<String>()
    var tables = Set<String>()
    for item in root["nftables"] as? [[String: Any]] ?? [] {
      if let table = item["table"] as? [String: Any] {
        tables.insert("\(table["family"]!) \(table["name"]!)")
      }
      guard let set = item["set"] as? [String: Any] else { continue }
      let prefix = "\(set["family"]!) \(set["table"]!) \(set["name"]!)"
      for element in set["elem"] as? [Any] ?? [] {
        elements.insert("\(prefix) \(describe(element))")
      }
    }
    let routeJSON = try Shell.run(["ip", "-j", "-n", namespace, "route", "show", "proto", "151"]).out
    let routeList = try JSONSerialization.jsonObject(with: Data(routeJSON.utf8)) as? [[String: Any]] ?? []
    let routes = Set(routeList.map { "\($0["dst"]!) \($0["dev"]!)" })
    return KernelReadBack(elements: elements, tables: tables, routes: routes)
  }

  /// `10.136.11.5 . osa10 # web01` from nft's JSON element forms.
  static func describe(_ element: Any) -> String {
    if let wrapper = element as? [String: Any], let elem = wrapper["elem"] as? [String: Any] {
      let comment = elem["comment"] as? String ?? ""
      return "\(value(elem["val"]!)) # \(comment)"
    }
    return "\(value(element)) # "
  }

  static func value(_ value: Any) -> String {
    if let concat = (value as? [String: Any])?["concat"] as? [Any] {
      return concat.map { "\($0)" }.joined(separator: " . ")
    }
    return "\(value)"
  }

  /// Elements whose comment names `domain`.
  func elements(of domain: String) -> Set<String> { elements.filter { $0.hasSuffix("# \(domain)") } }
}
