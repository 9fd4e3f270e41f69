/// The declarative host config (`/etc/libvirt/routed-hook.yaml`): what routed-hook may build on this host.
public struct HostConfig: Sendable, Equatable {
  /// The `rtm_protocol` tag on every route routed-hook owns; `ip route show proto 151` lists them.
  public var routeProtocol: UInt8
  public var guestNetworks: [GuestNetwork]
  public var uplinks: [Uplink]
  /// Guest addresses for domains that carry no `urn:routed-hook:1` metadata, by domain name.
  public var domains: [String: [GuestAddress]]
  /// Sharing guest routes with a fleet of hosts over BGP (BIRD); nil for hosts with static peers only.
  public var bgp: BGPConfig?

  public static let defaultRouteProtocol: UInt8 = 151

  public init(
    routeProtocol: UInt8 = HostConfig.defaultRouteProtocol, guestNetworks: [GuestNetwork], uplinks: [Uplink],
    domains: [String: [GuestAddress]] = [:], bgp: BGPConfig? = nil
  ) {
    self.routeProtocol = routeProtocol
    self.guestNetworks = guestNetworks
    self.uplinks = uplinks
    self.domains = domains
    self.bgp = bgp
  }

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
  public var mtu: Int
  /// Names of the uplinks this network's guests may use, in config order.
  public var uplinks: [String]

  public init(
    name: String, bridge: String, libvirtNetwork: String? = nil, gateway: IPv4Interface, mtu: Int,
    uplinks: [String]
  ) {
    self.name = name
    self.bridge = bridge
    self.libvirtNetwork = libvirtNetwork
    self.gateway = gateway
    self.mtu = mtu
    self.uplinks = uplinks
  }

  public var subnet: IPv4Network { gateway.network }
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
  public var layer: Int
  public var peers: [PeerRoute]
  /// Optional: this host's own address on the link, so `check --peer` can verify the other side's gateway.
  public var address: IPv4Interface?

  public init(
    name: String, interface: String, mode: UplinkMode, layer: Int = 2, peers: [PeerRoute] = [],
    address: IPv4Interface? = nil
  ) {
    self.name = name
    self.interface = interface
    self.mode = mode
    self.layer = layer
    self.peers = peers
    self.address = address
  }
}

/// Another host's guest subnet, reached through a gateway on this uplink.
public struct PeerRoute: Sendable, Equatable {
  public var subnet: IPv4Network
  public var via: IPv4Address

  public init(subnet: IPv4Network, via: IPv4Address) {
    self.subnet = subnet
    self.via = via
  }
}

/// One guest NIC's address, by MAC, and optionally the uplinks it may use (default: all of its network's).
public struct GuestAddress: Sendable, Equatable {
  public var mac: MACAddress
  public var address: IPv4Address
  public var uplinks: [String]?

  public init(mac: MACAddress, address: IPv4Address, uplinks: [String]? = nil) {
    self.mac = mac
    self.address = address
    self.uplinks = uplinks
  }
}
