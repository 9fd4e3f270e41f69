/// The host config's `bgp:` section: this host's guest routes are shared with a fleet of hosts by BIRD.
///
/// routed-hook stays the single writer of its own routes (a /32 per running guest, protocol
/// `routeProtocol`); BIRD learns them from the kernel, announces them to the neighbours, and installs what
/// it learns from them as its own routes (protocol `bird`, 12). `routed-hook bird-config` prints BIRD's
/// config from this section. Static `uplinks[].peers` stay the simpler choice for two hosts.
///
/// Both families: `prefixes` holds IPv4 and IPv6 networks, and a neighbour's address says which family its
/// session carries (an IPv6 session between the hosts' IPv6 addresses on the uplink, as Calico does).
public struct BGPConfig: Sendable, Equatable {
  /// This host's AS; the same on every host of an iBGP fleet.
  public var asn: UInt32
  /// The `routed` uplink the sessions run over; its `address` is the sessions' source address.
  public var uplink: String
  /// BGP router id; default: the uplink's address.
  public var routerID: IPv4Address?
  /// The fleet's guest address space, of both families. Guest /32s and /128s inside it are announced and
  /// accepted; a guest whose address lies in it may run here (a visitor, e.g. after a migration); static
  /// peers may not overlap it.
  public var prefixes: [IPNetwork]
  public var neighbours: [BGPNeighbour]
  /// Seconds without a keepalive before a session is declared dead (keepalives every third of it).
  public var holdTime: Int
  /// Sub-second failure detection on the link; nil turns it off.
  public var bfd: BFDSettings?
  /// Seconds peers keep this host's routes while its BIRD restarts; nil turns graceful restart off.
  public var restartTime: Int?

  public static let defaultHoldTime = 9
  public static let defaultRestartTime = 120

  public init(
    asn: UInt32, uplink: String, routerID: IPv4Address? = nil, prefixes: [IPNetwork],
    neighbours: [BGPNeighbour], holdTime: Int = BGPConfig.defaultHoldTime, bfd: BFDSettings? = BFDSettings(),
    restartTime: Int? = BGPConfig.defaultRestartTime
  ) {
    self.asn = asn
    self.uplink = uplink
    self.routerID = routerID
    self.prefixes = prefixes
    self.neighbours = neighbours
    self.holdTime = holdTime
    self.bfd = bfd
    self.restartTime = restartTime
  }

  /// Whether `address` lies in the fleet's guest address space.
  public func covers(_ address: IPAddress) -> Bool { prefixes.contains { $0.contains(address) } }

  /// The fleet's IPv4 and IPv6 guest prefixes.
  public var prefixes4: [IPv4Network] { prefixes.compactMap(\.v4) }
  public var prefixes6: [IPv6Network] { prefixes.compactMap(\.v6) }
}

/// One BGP session.
public struct BGPNeighbour: Sendable, Equatable {
  /// How this host relates to the neighbour.
  public enum Role: String, Sendable, Equatable {
    /// A full-mesh peer (`neighbours:`).
    case peer
    /// A route reflector this host is a client of (`routeReflectors:`).
    case reflector
    /// A client this host reflects routes to (`clients:`): this host is a route reflector.
    case client
  }

  /// An IPv4 address for a session that carries IPv4 guest routes, an IPv6 one for IPv6 guest routes.
  public var address: IPAddress
  /// The neighbour's AS; nil means this host's own (iBGP).
  public var asn: UInt32?
  public var role: Role = .peer
}

/// BFD timers: a neighbour is down after `multiplier` missed packets sent every `interval` milliseconds.
public struct BFDSettings: Sendable, Equatable {
  public var interval: Int
  public var multiplier: Int

  public init(interval: Int = 100, multiplier: Int = 3) {
    self.interval = interval
    self.multiplier = multiplier
  }
}
