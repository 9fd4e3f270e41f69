/// The declarative host config (`/etc/libvirt/routed-hook.yaml`): what routed-hook may build on this host.
public struct HostConfig: Sendable, Equatable {
  /// The `rtm_protocol` tag on every route routed-hook owns; `ip route show proto 151` lists them.
  public var routeProtocol: UInt8 = HostConfig.defaultRouteProtocol
  public var guestNetworks: [GuestNetwork]
  public var uplinks: [Uplink]
  /// Guest addresses for domains that carry no `urn:routed-hook:1` metadata, by domain name.
  public var domains: [String: [GuestAddress]] = [:]
  /// Sharing guest routes with a fleet of hosts over BGP (BIRD); nil for hosts with static peers only.
  public var bgp: BGPConfig?

  public static let defaultRouteProtocol: UInt8 = 151

  public func uplink(named name: String) -> Uplink? { uplinks.first { $0.name == name } }

  /// The guest network a NIC belongs to, by its source bridge or its libvirt network.
  public func guestNetwork(bridge: String?, libvirtNetwork: String?) -> GuestNetwork? {
    guestNetworks.first { network in
      (bridge != nil && network.bridge == bridge)
        || (libvirtNetwork != nil && network.libvirtNetwork == libvirtNetwork)
    }
  }
}

/// A bridge (OVS or Linux) with no physical port; its internal port is the guests' gateway.
public struct GuestNetwork: Sendable, Equatable {
  public var name: String
  public var bridge: String
  public var libvirtNetwork: String?
  public var gateway: IPv4Interface
  /// The host's IPv6 address on the bridge, with the guests' prefix (`fd00:10::136:11:fffe/112`); nil for an
  /// IPv4-only network. Guests route through the shared link-local gateway `fe80::1`, which every host's
  /// bridge carries too.
  public var gateway6: IPv6Interface?
  public var mtu: Int
  /// Names of the uplinks this network's guests may use, in config order.
  public var uplinks: [String]

  public var subnet: IPv4Network { gateway.network }
  public var subnet6: IPv6Network? { gateway6?.network }
}

/// How the host routes between guests and one of its real interfaces (the talk's scenarios II–IV).
public enum UplinkMode: String, Sendable, Equatable, CaseIterable {
  /// Scenario II: same subnet as the host; the host answers ARP there for running guests only.
  case proxyARP = "proxy-arp"
  /// Scenario III: a link to other hosts; their guest subnets are reached via peer routes.
  case routed
  /// Scenario IV: a foreign subnet; guests leave masqueraded and nothing gets in.
  case nat
}

/// A host interface guests are routed to.
public struct Uplink: Sendable, Equatable {
  public var name: String
  public var interface: String
  public var mode: UplinkMode
  /// 2 for Ethernet-like links; 3 for links without ARP (HiperSockets in layer-3 mode).
  public var layer: Int = 2
  public var peers: [PeerRoute] = []
  /// Optional: this host's own address on the link, so `check --peer` can verify the other side's gateway.
  public var address: IPv4Interface?
  /// Optional: the same for IPv6.
  public var address6: IPv6Interface?
}

/// Another host's guest subnet, reached through a gateway on this uplink; with its IPv6 subnet and gateway
/// when that host routes IPv6 guests too.
public struct PeerRoute: Sendable, Equatable {
  public var subnet: IPv4Network
  public var via: IPv4Address
  public var subnet6: IPv6Network?
  public var via6: IPv6Address?
}

/// One guest NIC's addresses, by MAC (IPv4, IPv6 or both), and optionally the uplinks it may use (default:
/// all of its network's).
public struct GuestAddress: Sendable, Equatable {
  public var mac: MACAddress
  public var address: IPv4Address?
  public var address6: IPv6Address?
  public var uplinks: [String]?
}

extension GuestAddress {
  /// Why an IPv6 address cannot be a guest's: link-local (every NIC has its own; the gateway is fe80::1),
  /// multicast, unspecified or loopback. Nil when it can.
  public static func problem6(_ address: IPv6Address) -> String? {
    if address.isLinkLocal { return "\(address) is link-local; a guest's routed address must be global or unique local" }
    if address.isMulticast { return "\(address) is a multicast address" }
    if address.isUnspecified || address.isLoopback { return "\(address) cannot be a guest's address" }
    return nil
  }
}
