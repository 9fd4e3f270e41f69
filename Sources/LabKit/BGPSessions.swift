import Foundation
import Yams

/// Reads a routed-hook config's `bgp:` section far enough for the lab: whether the host runs BIRD, and the
/// addresses of its BGP neighbours (for the graph and for `bgp` rows). routed-hook validates the rest.
enum BGPSessions {
  static func declared(in hook: HookConfigSource?, baseDirectory: String) -> HostBGP? {
    let text: String?
    switch hook {
    case .inline(let yaml): text = yaml
    case .file(let path): text = FileSystem.read(path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)")
    case nil: text = nil
    }
    guard let text, let node = try? Yams.compose(yaml: text), let bgp = node["bgp"] else { return nil }
    var neighbours: [HostBGP.Neighbour] = []
    for (key, role) in [("neighbours", "peer"), ("routeReflectors", "reflector"), ("clients", "client")] {
      guard case .sequence(let entries)? = bgp[key] else { continue }
      for entry in entries {
        if let address = entry.string ?? entry["address"]?.string {
          neighbours.append(HostBGP.Neighbour(address: address, role: role))
        }
      }
    }
    return HostBGP(neighbours: neighbours)
  }
}

/// A host that shares its guest routes over BGP: the lab runs BIRD in its namespace.
public struct HostBGP: Sendable, Equatable {
  public struct Neighbour: Sendable, Equatable {
    public var address: String
    /// peer, reflector (this host is its client) or client (this host reflects to it).
    public var role: String
  }

  public var neighbours: [Neighbour]

  /// BIRD's name for the session to `address` (see routed-hook's BirdConfig).
  public static func protocolName(role: String, address: String) -> String {
    "routed_hook_\(role)_" + address.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: ":", with: "_")
  }
}

extension Topology {
  /// Each BGP session once, between the hosts at its two ends; `reflected` when one end reflects routes to
  /// the other (route-reflector client sessions).
  public var bgpSessions: [(a: String, b: String, reflected: Bool)] {
    var sessions: [(a: String, b: String, reflected: Bool)] = []
    for host in hosts {
      for neighbour in host.bgp?.neighbours ?? [] {
        guard
          let other = hosts.first(where: { candidate in
            candidate.interfaces.contains { $0.address?.address.description == neighbour.address }
          }), other.name != host.name,
          !sessions.contains(where: { Set([$0.a, $0.b]) == Set([host.name, other.name]) })
        else { continue }
        sessions.append((host.name, other.name, neighbour.role != "peer"))
      }
    }
    return sessions
  }

  /// Hosts that reflect routes to clients.
  public var routeReflectors: [String] {
    hosts.filter { $0.bgp?.neighbours.contains { $0.role == "client" } == true }.map(\.name)
  }
}
