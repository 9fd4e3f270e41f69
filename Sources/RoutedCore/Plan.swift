/// What one hook call should do to the kernel: pure data, turned into steps by `ApplyDecision`.
public struct Plan: Sendable, Equatable {
  /// Host-wide objects made idempotently (created when missing, left alone when present).
  public var baseline: [KernelObject]
  /// Per-guest additions and removals: set elements and /32 routes only.
  public var guestChanges: [KernelChange]
  /// The record to write after applying; nil deletes the domain's record.
  public var record: DomainRecord?
  /// The domain whose record this plan writes or deletes.
  public var domain: DomainIdentity?

  public init(
    baseline: [KernelObject] = [], guestChanges: [KernelChange] = [], record: DomainRecord? = nil,
    domain: DomainIdentity? = nil
  ) {
    self.baseline = baseline
    self.guestChanges = guestChanges
    self.record = record
    self.domain = domain
  }

  public var isEmpty: Bool { baseline.isEmpty && guestChanges.isEmpty }
}

/// A libvirt domain's name and UUID.
public struct DomainIdentity: Sendable, Hashable, Encodable {
  public var name: String
  public var uuid: String

  public init(name: String, uuid: String) {
    self.name = name
    self.uuid = uuid
  }
}

/// What was applied for one domain: `stopped`/`release` remove exactly these objects.
public struct DomainRecord: Sendable, Equatable {
  public var domain: DomainIdentity
  /// The managed NICs, for `status`.
  public var interfaces: [ManagedInterface]
  /// The per-guest objects applied (elements and routes).
  public var objects: [KernelObject]
  /// The guest's migration claim: `arriving` from an incoming migration's `started` until it is finished,
  /// `moved` for a while after, else `normal`.
  public var preference: GuestRoutePreference = .normal
  /// CLOCK_BOOTTIME seconds when `preference` was last set to something other than `normal` (records live
  /// in /run, so boot time is one clock for every process that reads them); 0 for `normal`.
  public var since: Int = 0
}

/// A guest NIC routed-hook manages: on a guest network, with an address.
public struct ManagedInterface: Sendable, Hashable, Codable {
  public var mac: MACAddress
  /// The NIC's IPv4 address; nil for an IPv6-only NIC.
  public var address: IPv4Address?
  /// The NIC's IPv6 address, on a guest network with `gateway6`.
  public var address6: IPv6Address?
  /// The guest network's name.
  public var network: String
  public var bridge: String
  /// Names of the uplinks this NIC may use.
  public var uplinks: [String]

  /// Both families' addresses, IPv4 first.
  public var addresses: [IPAddress] {
    var addresses: [IPAddress] = []
    if let address { addresses.append(.v4(address)) }
    if let address6 { addresses.append(.v6(address6)) }
    return addresses
  }

  /// The addresses as text, `10.136.11.5` or `10.136.11.5 fd00:10::136:11:5`.
  public var addressText: String {
    var text = address.map(\.description) ?? ""
    if let address6 { text += text.isEmpty ? address6.description : " \(address6)" }
    return text
  }
}

/// Facts read from the live host that the planner needs: the addresses already on each interface, and for
/// IPv6 guest networks what the kernel offers and how the uplinks take router advertisements.
public struct HostFacts: Sendable, Equatable {
  /// IPv4 addresses per interface name.
  public var addresses: [String: [IPv4Interface]]
  /// Whether the kernel has per-interface `force_forwarding` for IPv6 (6.17 on).
  public var forceForwarding6: Bool
  /// `net.ipv6.conf.IF.accept_ra` of the uplinks IPv6 guest networks use.
  public var acceptRA: [String: Int]

  public init(
    addresses: [String: [IPv4Interface]] = [:], forceForwarding6: Bool = false, acceptRA: [String: Int] = [:]
  ) {
    self.addresses = addresses
    self.forceForwarding6 = forceForwarding6
    self.acceptRA = acceptRA
  }
}
