import Foundation

/// What exists on the machine right now: namespaces, links and their altnames, read with `ip -j`.
public enum LinkInventory {
  /// Names of all named network namespaces (`ip netns list` reads the same directory).
  public static func namespaces() -> [String] { FileSystem.list("/run/netns") }

  /// One link as `ip -j link show` reports it.
  public struct Link: Sendable {
    public var name: String
    public var altnames: [String]
    public var mac: String?
    public var mtu: Int?

    public init(name: String, altnames: [String] = [], mac: String? = nil, mtu: Int? = nil) {
      self.name = name
      self.altnames = altnames
      self.mac = mac
      self.mtu = mtu
    }
  }

  /// The links of a namespace (nil: the root namespace); empty when the namespace cannot be read.
  public static func links(namespace: String?) -> [Link] {
    var argv = ["ip", "-j", "link", "show"]
    if let namespace { argv = ["ip", "-n", namespace, "-j", "link", "show"] }
    guard let result = try? Command.run(argv, timeout: 10), result.succeeded else { return [] }
    return ToolJSON.array(result.stdout).map { object in
      Link(
        name: object["ifname"] as? String ?? "?", altnames: object["altnames"] as? [String] ?? [],
        mac: object["address"] as? String, mtu: object["mtu"] as? Int)
    }
  }
}

/// Tiny helpers over JSONSerialization for the `-j` output of ip, nft and routed-hook.
enum ToolJSON {
  static func array(_ text: String) -> [[String: Any]] {
    guard let data = text.data(using: .utf8), let value = try? JSONSerialization.jsonObject(with: data) else {
      return []
    }
    return value as? [[String: Any]] ?? []
  }

  static func object(_ text: String) -> [String: Any]? {
    guard let data = text.data(using: .utf8), let value = try? JSONSerialization.jsonObject(with: data) else {
      return nil
    }
    return value as? [String: Any]
  }
}
