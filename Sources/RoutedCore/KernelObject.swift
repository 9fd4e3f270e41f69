/// An nftables table routed-hook owns. Nothing outside these tables is ever touched.
public enum OwnedTable: String, Sendable, Hashable, CaseIterable {
  /// `table arp routed_hook`: which ARP requests the host may answer on proxy-arp uplinks.
  case arpFilter = "arp routed_hook"
  /// `table inet routed_hook`: anti-spoofing and the forward allow-list.
  case filter = "inet routed_hook"
  /// `table ip routed_hook_nat`: masquerade out of nat uplinks.
  case nat = "ip routed_hook_nat"
  /// `table ip6 routed_hook_nat`: NAT66, masquerade of IPv6 guests out of nat uplinks. A table of its own
  /// rather than turning the IPv4 one into `inet`: records of running guests name `ip routed_hook_nat`, and
  /// a host that upgrades keeps them valid.
  case nat6 = "ip6 routed_hook_nat"

  /// The nft family keyword (`arp`, `inet`, `ip`).
  public var family: String { String(rawValue.split(separator: " ")[0]) }
  /// The table name.
  public var name: String { String(rawValue.split(separator: " ")[1]) }
}

/// The key type of an owned set. An nft set holds one family, so each IPv4 set has an IPv6 twin in the
/// same table.
public enum SetKeyType: String, Sendable, Hashable {
  /// `ipv4_addr`
  case address
  /// `ipv4_addr . ifname`
  case addressAndInterface
  /// `ipv6_addr`
  case address6
  /// `ipv6_addr . ifname`
  case address6AndInterface

  /// The key type for an address of this family, with or without an interface name.
  public static func of(_ address: IPAddress, withInterface: Bool) -> SetKeyType {
    switch (address.isV6, withInterface) {
    case (false, false): .address
    case (false, true): .addressAndInterface
    case (true, false): .address6
    case (true, true): .address6AndInterface
    }
  }

  public var isV6: Bool { self == .address6 || self == .address6AndInterface }
}

/// A set in an owned table.
public struct OwnedSet: Sendable, Hashable, CustomStringConvertible {
  public var table: OwnedTable
  public var name: String
  public var keyType: SetKeyType

  public init(table: OwnedTable, name: String, keyType: SetKeyType) {
    self.table = table
    self.name = name
    self.keyType = keyType
  }

  public var description: String { "set \(table.rawValue) \(name)" }
}

/// The key of a set element.
public struct SetElementKey: Sendable, Hashable, CustomStringConvertible {
  public var address: IPAddress
  /// Present for `ipv4_addr . ifname` and `ipv6_addr . ifname` sets.
  public var interface: String?

  public init(address: IPAddress, interface: String? = nil) {
    self.address = address
    self.interface = interface
  }

  public init(address: IPv4Address, interface: String? = nil) {
    self.init(address: .v4(address), interface: interface)
  }

  public var description: String { interface.map { "\(address) . \"\($0)\"" } ?? "\(address)" }
}

/// One base chain of an owned table; its rules are fixed by the config, never per guest.
public struct OwnedChain: Sendable, Hashable {
  public enum Hook: String, Sendable, Hashable { case prerouting, input, forward, postrouting }
  public enum Kind: String, Sendable, Hashable { case filter, nat }

  public var table: OwnedTable
  public var name: String
  public var kind: Kind
  public var hook: Hook
  /// nft priority; every base chain is `policy accept`, so drops stay scoped to our interfaces.
  public var priority: Int32
  public var rules: [Rule]
}

/// A rule of an owned chain, as meaning rather than bytecode; the kernel target compiles it to expressions.
public enum Rule: Sendable, Hashable {
  /// `iifname B ip saddr != @set drop`: only running guests' addresses may enter from the bridge.
  case dropSpoofed(bridge: String, set: String)
  /// `iifname B oifname B accept`: guest ↔ guest on one Linux bridge. With bridge netfilter on
  /// (`bridge-nf-call-iptables`, per network namespace, or the bridge's own `nf_call_iptables`) the kernel
  /// passes frames it bridges between two ports through the inet forward hook with the bridge as both input
  /// and output device (`br_nf_forward_ip`); without this rule `dropFromBridge` would drop them. Frames
  /// routed back out of the bridge match too: guests reach each other either way. Anti-spoofing still sees
  /// bridged frames of each family whose switch is on (`bridge-nf-call-ip6tables` for IPv6), in `dropSpoofed`
  /// at prerouting.
  case acceptBridged(bridge: String)
  /// `iifname B ip saddr . oifname @set accept`: guest → allowed uplink.
  case acceptEgress(bridge: String, set: String)
  /// `oifname B ip daddr . iifname @set accept`: uplink → running guest, where the uplink admits it.
  case acceptIngress(bridge: String, set: String)
  /// `oifname B ct state established,related accept`: replies to what the guests started.
  case acceptReplies(bridge: String)
  /// `iifname B drop`: anything else from the guests.
  case dropFromBridge(bridge: String)
  /// `oifname B drop`: anything else towards the guests.
  case dropToBridge(bridge: String)
  /// `ip saddr . oifname @set masquerade`.
  case masquerade(set: String)
  /// `iifname U arp operation request arp daddr ip != @set drop`: answer ARP only for what is ours.
  case dropARPRequests(interface: String, set: String)
  /// `iifname B ip6 saddr != :: ip6 saddr != fe80::/10 ip6 saddr != @set drop`: IPv6 anti-spoofing. A guest's
  /// DAD probes come from `::` and its NDP, router solicitations and MLD from its link-local address; the
  /// kernel never forwards link-local sources, so allowing them only lets them reach the host.
  case dropSpoofed6(bridge: String, set: String)
  /// `iifname B ip6 saddr . oifname @set accept`.
  case acceptEgress6(bridge: String, set: String)
  /// `oifname B ip6 daddr . iifname @set accept`.
  case acceptIngress6(bridge: String, set: String)
  /// `ip6 saddr . oifname @set masquerade`: NAT66.
  case masquerade6(set: String)

  /// Whether the rule matches IPv6 headers (the IPv6 twins of the IPv4 rules).
  public var isV6: Bool {
    switch self {
    case .dropSpoofed6, .acceptEgress6, .acceptIngress6, .masquerade6: true
    case .dropSpoofed, .acceptBridged, .acceptEgress, .acceptIngress, .acceptReplies, .dropFromBridge,
      .dropToBridge, .masquerade, .dropARPRequests:
      false
    }
  }
}

/// A route routed-hook owns, tagged with the config's `routeProtocol`: a guest's /32 or /128, a peer route.
public struct OwnedRoute: Sendable, Hashable, CustomStringConvertible {
  public var destination: IPNetwork
  public var gateway: IPAddress? = nil
  public var device: String
  public var routeProtocol: UInt8
  /// RTA_PRIORITY: 0, or a guest route's migration claim (`GuestRoutePreference.metric`).
  public var metric: UInt32 = 0

  public var description: String {
    let via = gateway.map { " via \($0)" } ?? ""
    // `ip -6 route` has no link scope: every IPv6 route is universe.
    let scope = gateway == nil && !destination.isV6 ? " scope link" : ""
    let metric = self.metric == 0 ? "" : " metric \(self.metric)"
    return "\(destination)\(via) dev \(device) proto \(routeProtocol)\(scope)\(metric)"
  }
}

extension OwnedRoute {
  public init(
    destination: IPv4Network, gateway: IPv4Address? = nil, device: String, routeProtocol: UInt8,
    metric: UInt32 = 0
  ) {
    self.init(
      destination: .v4(destination), gateway: gateway.map(IPAddress.v4), device: device,
      routeProtocol: routeProtocol, metric: metric)
  }
}

/// A per-interface sysctl under `/proc/sys/net/{ipv4,ipv6}/conf/<interface>/` (or `neigh/<interface>/`);
/// the interface may be `all`.
public struct InterfaceSysctl: Sendable, Hashable, CustomStringConvertible {
  public enum Key: Sendable, Hashable {
    /// IPv4: the real per-interface switch (checked on the input interface).
    case forwarding
    case proxyARP
    /// Proxy ARP replies wait a random time up to this (0.8 s by default) so real owners answer first.
    /// routed-hook answers only for addresses nobody else owns, so the wait only delays the first packet.
    case proxyDelay
    /// IPv6 `forwarding` of one interface: router behaviour only (NA router flag, RAs ignored unless
    /// accept_ra=2, proxy_ndp answers only where it is on). Forwarding itself is `all`'s, or
    /// `force_forwarding`'s on kernels that have it (6.17 on).
    case forwarding6
    /// IPv6 `force_forwarding` (kernel ≥ 6.17): packets that arrive on this interface are forwarded
    /// whatever `conf/all/forwarding` says.
    case forceForwarding6
    /// IPv6 `proxy_ndp`: answer neighbour solicitations for the interface's proxy entries (explicit only).
    case proxyNDP
    /// IPv6 `neigh/IF/proxy_delay`: like IPv4's, a random wait before a proxied answer to a multicast
    /// solicitation (0.8 s by default).
    case proxyDelay6
    /// IPv6 `accept_ra`: 1 ignores router advertisements once `forwarding` is on, 2 keeps accepting them.
    case acceptRA

    public var isV6: Bool {
      switch self {
      case .forwarding, .proxyARP, .proxyDelay: false
      case .forwarding6, .forceForwarding6, .proxyNDP, .proxyDelay6, .acceptRA: true
      }
    }

    /// The file name.
    public var name: String {
      switch self {
      case .forwarding, .forwarding6: "forwarding"
      case .proxyARP: "proxy_arp"
      case .proxyDelay, .proxyDelay6: "proxy_delay"
      case .forceForwarding6: "force_forwarding"
      case .proxyNDP: "proxy_ndp"
      case .acceptRA: "accept_ra"
      }
    }

    /// `conf` or `neigh`: where under /proc/sys/net/ipv4 or ipv6 the key lives.
    var section: String { self == .proxyDelay || self == .proxyDelay6 ? "neigh" : "conf" }
    public var family: String { isV6 ? "ipv6" : "ipv4" }
  }

  public var interface: String
  public var key: Key
  public var value: Int

  public init(interface: String, key: Key, value: Int) {
    self.interface = interface
    self.key = key
    self.value = value
  }

  /// The file that holds it.
  public var path: String { "/proc/sys/net/\(key.family)/\(key.section)/\(interface)/\(key.name)" }
  public var description: String {
    "net.\(key.family).\(key.section).\(interface).\(key.name) = \(value)"
  }
}

/// An IPv6 proxy neighbour entry routed-hook owns (`ip -6 neigh add proxy ADDR dev IF protocol 151`): the
/// host answers neighbour solicitations for a running guest's address on a proxy-arp uplink. `proxy_ndp`
/// answers only for such explicit entries, and answers DAD probes for them too, so one is never made on a
/// guest bridge. NDA_PROTOCOL (kernel ≥ 5.2) carries `routeProtocol`, which marks it ours.
public struct ProxyNeighbour: Sendable, Hashable, CustomStringConvertible {
  public var address: IPv6Address
  public var device: String
  public var routeProtocol: UInt8

  public var description: String { "proxy \(address) dev \(device) protocol \(routeProtocol)" }
}

/// One kernel object in a plan or a record.
public enum KernelObject: Sendable, Hashable {
  /// A gateway address on a bridge's internal port (IPv4, IPv6, and IPv6's shared link-local `fe80::1`),
  /// tagged with `routeProtocol` (IFA_PROTO).
  case address(interface: String, IPInterface, routeProtocol: UInt8)
  /// The interface's MTU, and the link set up.
  case link(interface: String, mtu: Int)
  case sysctl(InterfaceSysctl)
  case table(OwnedTable)
  case set(OwnedSet)
  case chain(OwnedChain)
  /// A set element; `comment` names the domain (or `host` for host-wide entries).
  case element(OwnedSet, SetElementKey, comment: String)
  case route(OwnedRoute)
  /// A guest's IPv6 address answered on a proxy-arp uplink.
  case neighbour(ProxyNeighbour)
}

/// Whether a change creates or deletes its object.
public enum ChangeKind: String, Sendable, Hashable { case add, remove }

/// One step of a plan.
public struct KernelChange: Sendable, Hashable {
  public var kind: ChangeKind
  public var object: KernelObject

  public init(_ kind: ChangeKind, _ object: KernelObject) {
    self.kind = kind
    self.object = object
  }

  public static func add(_ object: KernelObject) -> KernelChange { KernelChange(.add, object) }
  public static func remove(_ object: KernelObject) -> KernelChange { KernelChange(.remove, object) }
}
