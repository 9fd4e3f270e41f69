import Foundation
import RoutedCore

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
    return (JSON(tool: result.stdout)?.items ?? []).map { object in
      Link(
        name: object["ifname"]?.string ?? "?", altnames: object["altnames"]?.items.compactMap(\.string) ?? [],
        mac: object["address"]?.string, mtu: object["mtu"]?.int)
    }
  }
}

extension JSON {
  /// The `-j` output of ip, nft, iperf3 or routed-hook; nil when it is not JSON.
  init?(tool output: String) {
    guard let value = JSON.parse(Array(output.utf8)) else { return nil }
    self = value
  }

  /// The members of an object (empty for anything else), for counters whose names are not known beforehand.
  var members: [(key: String, value: JSON)] { if case .object(let members) = self { members } else { [] } }
  var items: [JSON] { array ?? [] }
}
