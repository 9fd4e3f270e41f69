/// An nftables table routed-hook owns. Nothing outside these tables is ever touched.
public enum OwnedTable: String, Sendable, Hashable, CaseIterable {
  /// `table arp routed_hook`: which ARP requests the host may answer on proxy-arp uplinks.
  case arpFilter = "arp routed_hook"
  /// `table inet routed_hook`: anti-spoofing and the forward allow-list.
  case filter = "inet routed_hook"
  /// `table ip routed_hook_nat`: masquerade out of nat uplinks.
  case nat = "ip routed_hook_nat"

  /// The nft family keyword (`arp`, `inet`, `ip`).
  public var family: String { String(rawValue.split(separator: " ")[0]) }
  /// The table name.
  public var name: String { String(rawValue.split(separator: " ")[1]) }
}

/// The key type of an owned set.
public enum SetKeyType: String, Sendable, Hashable {
  /// `ipv4_addr`
  case address
  /// `ipv4_addr . ifname`
  case addressAndInterface
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
  public var address: IPv4Address
  /// Present for `ipv4_addr . ifname` sets.
  public var interface: String?

  public init(address: IPv4Address, interface: String? = nil) {
    self.address = address
    self.interface = interface
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

  public init(table: OwnedTable, name: String, kind: Kind, hook: Hook, priority: Int32, rules: [Rule]) {
    self.table = table
    self.name = name
    self.kind = kind
    self.hook = hook
    self.priority = priority
    self.rules = rules
  }
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
  /// bridged IPv4 frames, in `dropSpoofed` at prerouting.
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
}

/// A route routed-hook owns, tagged with the config's `routeProtocol`.
public struct OwnedRoute: Sendable, Hashable, CustomStringConvertible {
  public var destination: IPv4Network
  public var gateway: IPv4Address?
  public var device: String
  public var routeProtocol: UInt8

  public init(destination: IPv4Network, gateway: IPv4Address? = nil, device: String, routeProtocol: UInt8) {
    self.destination = destination
    self.gateway = gateway
    self.device = device
    self.routeProtocol = routeProtocol
  }

  public var description: String {
    let via = gateway.map { " via \($0)" } ?? ""
    let scope = gateway == nil ? " scope link" : ""
    return "\(destination)\(via) dev \(device) proto \(routeProtocol)\(scope)"
  }
}

/// A per-interface IPv4 sysctl under `/proc/sys/net/ipv4/conf/<interface>/` (or `neigh/<interface>/`).
public struct InterfaceSysctl: Sendable, Hashable, CustomStringConvertible {
  public enum Key: String, Sendable, Hashable {
    case forwarding
    case proxyARP = "proxy_arp"
    /// Proxy ARP replies wait a random time up to this (0.8 s by default) so real owners answer first.
    /// routed-hook answers only for addresses nobody else owns, so the wait only delays the first packet.
    case proxyDelay = "proxy_delay"

    /// `conf` or `neigh`: where under /proc/sys/net/ipv4 the key lives.
    var section: String { self == .proxyDelay ? "neigh" : "conf" }
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
  public var path: String { "/proc/sys/net/ipv4/\(key.section)/\(interface)/\(key.rawValue)" }
  public var description: String { "net.ipv4.\(key.section).\(interface).\(key.rawValue) = \(value)" }
}

/// One kernel object in a plan or a record.
public enum KernelObject: Sendable, Hashable {
  /// The gateway address on a bridge's internal port, tagged with `routeProtocol` (IFA_PROTO).
  case address(interface: String, IPv4Interface, routeProtocol: UInt8)
  /// The interface's MTU, and the link set up.
  case link(interface: String, mtu: Int)
  case sysctl(InterfaceSysctl)
  case table(OwnedTable)
  case set(OwnedSet)
  case chain(OwnedChain)
  /// A set element; `comment` names the domain (or `host` for host-wide entries).
  case element(OwnedSet, SetElementKey, comment: String)
  case route(OwnedRoute)
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
