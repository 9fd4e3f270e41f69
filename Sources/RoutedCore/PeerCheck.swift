/// `routed-hook check --peer`: do two hosts route each other's guest networks symmetrically, by one path?
///
/// The talk's scenario III: LPAR 11 routes 10.136.12.0/24 via LPAR 12's HiperSockets address and LPAR 12
/// routes 10.136.11.0/24 back the same way. A side that forgets its route sends replies another way
/// (asymmetric routing); a network covered twice has two paths. Each finding is one line.
public enum PeerCheck {
  /// A host's config with the name its findings use (usually the file name).
  public struct Host {
    public var name: String
    public var config: HostConfig

    public init(name: String, config: HostConfig) {
      self.name = name
      self.config = config
    }
  }

  public static func findings(_ a: Host, _ b: Host) -> [String] {
    let forward = routes(from: a, to: b)
    let backward = routes(from: b, to: a)
    guard !forward.isEmpty || !backward.isEmpty else {
      return ["\(a.name) and \(b.name) route none of each other's guest networks: they are not peers"]
    }
    var findings: [String] = []
    findings += coverage(from: a, to: b, forward)
    findings += coverage(from: b, to: a, backward)
    findings += gateways(from: a, to: b, forward)
    findings += gateways(from: b, to: a, backward)
    // Symmetry of links: each side must come back over the link it is reached by.
    let forwardLinks = Set(forward.map(\.uplink.interface))
    let backwardLinks = Set(backward.map(\.uplink.interface))
    if forwardLinks.count == 1, backwardLinks.count == 1, let out = forward.first, let back = backward.first,
      let outAddress = out.uplink.address, let backAddress = back.uplink.address,
      outAddress.network != backAddress.network
    {
      findings.append(
        "\(a.name) reaches \(b.name) over \(out.uplink.interface) (\(outAddress.network)) but \(b.name) answers over \(back.uplink.interface) (\(backAddress.network)): asymmetric"
      )
    }
    return findings
  }

  struct Route {
    var network: GuestNetwork
    var uplink: Uplink
    var peer: PeerRoute
  }

  /// `from`'s peer routes that cover one of `to`'s guest networks.
  static func routes(from: Host, to: Host) -> [Route] {
    to.config.guestNetworks.flatMap { network in
      from.config.uplinks.flatMap { uplink in
        uplink.peers.filter { $0.subnet.overlaps(network.subnet) }.map {
          Route(network: network, uplink: uplink, peer: $0)
        }
      }
    }
  }

  static func coverage(from: Host, to: Host, _ routes: [Route]) -> [String] {
    to.config.guestNetworks.compactMap { network in
      let covering = routes.filter { $0.network == network }
      switch covering.count {
      case 0:
        return
          "\(from.name) has no route to \(to.name)'s guest network '\(network.name)' (\(network.subnet)): replies from there take another path"
      case 1:
        let route = covering[0]
        if route.peer.subnet != network.subnet {
          return
            "\(from.name) routes \(route.peer.subnet) via \(route.peer.via) but \(to.name)'s guest network '\(network.name)' is \(network.subnet): not the same subnet"
        }
        return nil
      default:
        let paths = covering.map { "\($0.peer.subnet) via \($0.peer.via) dev \($0.uplink.interface)" }.joined(
          separator: " and ")
        return
          "\(from.name) reaches \(to.name)'s guest network '\(network.name)' (\(network.subnet)) by two paths: \(paths)"
      }
    }
  }

  /// The gateway of each route must be the other host's own address on a link they share.
  static func gateways(from: Host, to: Host, _ routes: [Route]) -> [String] {
    routes.compactMap { route in
      let own = to.config.uplinks.compactMap(\.address)
      guard !own.isEmpty else { return nil }
      if own.contains(where: { $0.address == route.peer.via }) { return nil }
      return
        "\(from.name) routes \(route.peer.subnet) via \(route.peer.via), which is none of \(to.name)'s uplink addresses (\(own.map(\.description).joined(separator: ", ")))"
    }
  }
}
