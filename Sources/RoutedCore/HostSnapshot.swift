/// The live host as plain data, for `routed-hook doctor`'s checks: links, addresses, routes, sysctls,
/// firewall rules, OVS bridges and routed-hook's records.
///
/// It holds only what the checks read, so a saved snapshot (`doctor --save-snapshot`) is a small,
/// readable bug report and a test fixture. Optional parts are nil when they could not be read (no OVS
/// database, no arptables module), which the checks treat as "nothing there".
public struct HostSnapshot: Sendable, Equatable, Codable {
  public var links: [Link]
  public var routes: [Route]
  public var sysctls: Sysctls
  public var nftables: [NftTable]
  /// Legacy arptables' filter table, when its module is loaded.
  public var arptables: ArptablesFilter?
  /// Legacy iptables' FORWARD chain, when its filter table is loaded (iptables-nft shows up in `nftables`).
  public var iptablesForward: IptablesChain?
  /// Open vSwitch bridges, when an OVS database was reachable.
  public var ovs: [OVSBridge]?
  /// routed-hook's records and whether each recorded object is in the kernel.
  public var records: [RecordedDomain]
  /// Owned per-guest objects in the kernel that no record explains.
  public var orphans: [String]
  /// IPv6: addresses with their state, the IPv6 sysctls, proxy entries and default routes; nil in snapshots
  /// saved before IPv6 (and then no IPv6 check runs).
  public var ipv6: IPv6State?

  public init(
    links: [Link] = [], routes: [Route] = [], sysctls: Sysctls = Sysctls(), nftables: [NftTable] = [],
    arptables: ArptablesFilter? = nil, iptablesForward: IptablesChain? = nil, ovs: [OVSBridge]? = nil,
    records: [RecordedDomain] = [], orphans: [String] = [], ipv6: IPv6State? = nil
  ) {
    self.links = links
    self.routes = routes
    self.sysctls = sysctls
    self.nftables = nftables
    self.arptables = arptables
    self.iptablesForward = iptablesForward
    self.ovs = ovs
    self.records = records
    self.orphans = orphans
    self.ipv6 = ipv6
  }

  /// The link named `name`, if any.
  public func link(_ name: String) -> Link? { links.first { $0.name == name } }

  /// A network interface with its IPv4 addresses.
  public struct Link: Sendable, Equatable, Codable {
    public var name: String
    public var index: Int
    public var mtu: Int
    /// `ip link` flag names: UP, NOARP, LOWER_UP, …
    public var flags: [String]
    /// The bridge (or bond, or `ovs-system`) this link is enslaved to.
    public var master: String?
    /// The link kind (`bridge`, `veth`, `tun`, `openvswitch`, …); nil for physical devices and loopback.
    public var kind: String?
    public var addresses: [IPv4Interface]
    /// A Linux bridge's own `nf_call_iptables` and `nf_call_ip6tables` options (`ip -d link`): the kernel ORs
    /// them with the namespace's `bridge-nf-call-*` sysctls. Nil for other links and older snapshots.
    public var nfCallIptables: Int?
    public var nfCallIp6tables: Int?

    public init(
      name: String, index: Int, mtu: Int, flags: [String] = ["UP"], master: String? = nil,
      kind: String? = nil,
      addresses: [IPv4Interface] = [], nfCallIptables: Int? = nil, nfCallIp6tables: Int? = nil
    ) {
      self.name = name
      self.index = index
      self.mtu = mtu
      self.flags = flags
      self.master = master
      self.kind = kind
      self.addresses = addresses
      self.nfCallIptables = nfCallIptables
      self.nfCallIp6tables = nfCallIp6tables
    }

    /// True when the link does no ARP (loopback, layer-3 links): proxy ARP cannot happen there.
    public var isNoARP: Bool { flags.contains("NOARP") || flags.contains("LOOPBACK") }
  }

  /// A main-table IPv4 route.
  public struct Route: Sendable, Equatable, Codable {
    public var destination: IPv4Network
    public var gateway: IPv4Address?
    /// The output device; nil for blackhole and unreachable routes. Multipath routes list every hop.
    public var devices: [String]
    /// `ip route`'s protocol name (`kernel`, `static`, `boot`) or number (`151`).
    public var routeProtocol: String
    public var metric: Int?

    public init(
      destination: IPv4Network, gateway: IPv4Address? = nil, devices: [String], routeProtocol: String,
      metric: Int? = nil
    ) {
      self.destination = destination
      self.gateway = gateway
      self.devices = devices
      self.routeProtocol = routeProtocol
      self.metric = metric
    }

    /// The names `ip route` prints for the kernel's own protocols; any other protocol as its number.
    public static func protocolName(_ number: Int) -> String {
      switch number {
      case 2: "kernel"
      case 3: "boot"
      case 4: "static"
      case 16: "dhcp"
      default: "\(number)"
      }
    }

    /// The route as `ip route` prints it.
    public var text: String {
      let via = gateway.map { " via \($0)" } ?? ""
      let devices = self.devices.map { " dev \($0)" }.joined()
      let metric = self.metric.map { " metric \($0)" } ?? ""
      return "\(destination)\(via)\(devices) proto \(routeProtocol)\(metric)"
    }
  }

  /// The IPv4 sysctls the checks need: forwarding and proxy_arp, per interface and for `all`.
  public struct Sysctls: Sendable, Equatable, Codable {
    /// `net.ipv4.ip_forward`.
    public var ipForward: Int
    public var all: InterfaceSettings
    public var interfaces: [String: InterfaceSettings]
    /// The namespace's `net.bridge.bridge-nf-call-*`; nil when not read (a snapshot from an older doctor).
    public var bridgeNetfilter: BridgeNetfilter?

    public init(
      ipForward: Int = 0, all: InterfaceSettings = .init(), interfaces: [String: InterfaceSettings] = [:],
      bridgeNetfilter: BridgeNetfilter? = nil
    ) {
      self.ipForward = ipForward
      self.all = all
      self.interfaces = interfaces
      self.bridgeNetfilter = bridgeNetfilter
    }

    /// Whether the kernel proxies ARP on `name`: it ORs `conf/all/proxy_arp` with the interface's own value.
    public func proxyARP(_ name: String) -> Bool { all.proxyARP != 0 || interfaces[name]?.proxyARP ?? 0 != 0 }

    public func forwarding(_ name: String) -> Bool { interfaces[name]?.forwarding ?? 0 != 0 }
  }

  /// `net.bridge.bridge-nf-call-{iptables,ip6tables}` of the network namespace. br_netfilter registers them per
  /// namespace when it is loaded (built in, or `modprobe br_netfilter`); without it no bridged frame reaches
  /// netfilter, whatever a bridge's own options say.
  public struct BridgeNetfilter: Sendable, Equatable, Codable {
    public var loaded: Bool
    public var callIptables: Int
    public var callIp6tables: Int

    public init(loaded: Bool, callIptables: Int = 0, callIp6tables: Int = 0) {
      self.loaded = loaded
      self.callIptables = callIptables
      self.callIp6tables = callIp6tables
    }
  }

  /// `net.ipv4.conf.<name>.{forwarding,proxy_arp}`.
  public struct InterfaceSettings: Sendable, Equatable, Codable {
    public var forwarding: Int
    public var proxyARP: Int

    public init(forwarding: Int = 0, proxyARP: Int = 0) {
      self.forwarding = forwarding
      self.proxyARP = proxyARP
    }
  }

  /// An nftables table, reduced to what the checks read.
  public struct NftTable: Sendable, Equatable, Codable {
    public var family: String
    public var name: String
    public var chains: [NftChain] = []
    public var sets: [NftSet] = []

    public var qualifiedName: String { "\(family) \(name)" }
  }

  /// A chain: base chains have a hook, a priority and a policy.
  public struct NftChain: Sendable, Equatable, Codable {
    public var name: String
    public var hook: String?
    public var priority: Int?
    public var policy: String?
    public var ruleCount = 0
    /// Interface names that rules of this chain match with `iifname` (directly or in an anonymous set).
    public var inputInterfaces: [String] = []
  }

  /// A named set and its elements.
  public struct NftSet: Sendable, Equatable, Codable {
    public var name: String
    public var elements: [NftElement] = []
  }

  /// One set element: its key as text (`10.136.11.5`, `10.136.11.5 . osa10`) and its comment.
  public struct NftElement: Sendable, Equatable, Codable {
    public var key: String
    public var comment: String?
  }

  /// Legacy arptables' INPUT chain.
  public struct ArptablesFilter: Sendable, Equatable, Codable {
    public var inputPolicy: String
    /// Input interfaces that INPUT rules name with `-i`; an empty string for a rule on any interface.
    public var inputInterfaces: [String] = []
  }

  /// A legacy iptables chain's policy and rule count.
  public struct IptablesChain: Sendable, Equatable, Codable {
    public var policy: String
    public var ruleCount: Int
  }

  /// An OVS bridge and its ports' interfaces.
  public struct OVSBridge: Sendable, Equatable, Codable {
    public var name: String
    public var ports: [OVSPort]
  }

  /// One OVS interface: its type (`internal`, `""` for a system device, `patch`, …) and MTUs.
  public struct OVSPort: Sendable, Equatable, Codable {
    public var name: String
    public var type = ""
    public var mtu: Int?
    public var mtuRequest: Int?
  }

  /// What doctor's IPv6 checks read.
  public struct IPv6State: Sendable, Equatable, Codable {
    public var addresses: [Address]
    /// Per interface, and `all`.
    public var sysctls: [String: Settings]
    public var proxyEntries: [ProxyEntry]
    /// Default routes (`::/0`), with `ip -N`'s numeric protocol (9 is `ra`).
    public var defaultRoutes: [DefaultRoute]

    public init(
      addresses: [Address] = [], sysctls: [String: Settings] = [:], proxyEntries: [ProxyEntry] = [],
      defaultRoutes: [DefaultRoute] = []
    ) {
      self.addresses = addresses
      self.sysctls = sysctls
      self.proxyEntries = proxyEntries
      self.defaultRoutes = defaultRoutes
    }

    public struct Address: Sendable, Equatable, Codable {
      public var interface: String
      public var address: IPv6Interface
      /// `ip -j`'s flags that are set: `dadfailed`, `tentative`, `dynamic` (from SLAAC), `permanent`, …
      public var flags: [String] = []
    }

    /// `net.ipv6.conf.IF.{forwarding,force_forwarding,proxy_ndp,accept_ra}`; force_forwarding is nil on
    /// kernels without it.
    public struct Settings: Sendable, Equatable, Codable {
      public var forwarding: Int
      public var forceForwarding: Int?
      public var proxyNDP: Int
      public var acceptRA: Int

      public init(forwarding: Int = 0, forceForwarding: Int? = nil, proxyNDP: Int = 0, acceptRA: Int = 1) {
        self.forwarding = forwarding
        self.forceForwarding = forceForwarding
        self.proxyNDP = proxyNDP
        self.acceptRA = acceptRA
      }
    }

    public struct ProxyEntry: Sendable, Equatable, Codable {
      public var address: IPv6Address
      public var device: String
      /// `ip -N`'s numeric NDA_PROTOCOL; nil when the entry has none.
      public var routeProtocol: String?
    }

    public struct DefaultRoute: Sendable, Equatable, Codable {
      public var device: String
      public var routeProtocol: String
    }

    /// Whether `name` proxies NDP: its own `proxy_ndp`, or `all`'s (the kernel ORs them).
    public func proxyNDP(_ name: String) -> Bool {
      sysctls["all"]?.proxyNDP ?? 0 != 0 || sysctls[name]?.proxyNDP ?? 0 != 0
    }

    /// Whether `name` behaves as a router (ignores RAs with accept_ra=1).
    public func routerBehaviour(_ name: String) -> Bool { sysctls[name]?.forwarding ?? 0 != 0 }
  }

  /// A domain record and, per recorded object, whether it is in the kernel: what `routed-hook status` shows
  /// (its `domains`) and doctor's checks read.
  public struct RecordedDomain: Sendable, Equatable, Codable {
    public var name: String
    public var uuid: String
    public var interfaces: [ManagedInterface]
    public var objects: [RecordedObject]
    /// The migration claim: `arriving` until the incoming migration is finished, then `moved`, `normal`;
    /// `leaving` on the source while the guest is paused to move. Nil in snapshots saved before it was kept.
    public var preference: GuestRoutePreference?

    public init(
      name: String, uuid: String, interfaces: [ManagedInterface], objects: [RecordedObject] = [],
      preference: GuestRoutePreference? = nil
    ) {
      self.name = name
      self.uuid = uuid
      self.interfaces = interfaces
      self.objects = objects
      self.preference = preference
    }
  }

  /// One recorded object as plan text, and whether it is present.
  public struct RecordedObject: Sendable, Equatable, Codable {
    public var object: String
    public var present: Bool

    public init(object: String, present: Bool) {
      self.object = object
      self.present = present
    }
  }
}
