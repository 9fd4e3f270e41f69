import RoutedCore

/// One row of the expectation matrix: a claim about the running lab, checked with independent tools.
public struct Expectation: Sendable, Equatable {
  /// Row label; generated from the kind when the file gives none.
  public var name: String
  /// The talk's scenario (I–IV, lifecycle) the row belongs to.
  public var scenario: String?
  public var kind: ExpectationKind

  public init(name: String, scenario: String? = nil, kind: ExpectationKind) {
    self.name = name
    self.scenario = scenario
    self.kind = kind
  }
}

/// What an expectation asserts.
public enum ExpectationKind: Sendable, Equatable {
  /// `from` reaches `to` (or, with `expected` false, does not), by ping and/or a TCP connect.
  /// A nil port lets the lab pick one, distinct per row, so rows can run side by side.
  /// `size` is the ping payload (default 56 bytes); large sizes show what fragmentation or an MTU does.
  case reach(from: String, to: Target, probes: [Probe], port: Int?, expected: Bool, size: Int? = nil)
  /// An arping from `from` for `target` is answered by exactly the MACs of `answeredBy` (empty: by nobody).
  /// More than one is how a double answer (two hosts claiming one address) is documented.
  case arp(from: String, target: Target, answeredBy: [InterfaceRef])
  /// A TCP connection from `from` to `to` arrives with the address of `source` as its source.
  case nat(from: String, to: Target, source: InterfaceRef, port: Int?)
  /// Pings from `from` to `to` are counted on every `via` interface and on none of `notVia`.
  case path(from: String, to: Target, via: [InterfaceRef], notVia: [InterfaceRef], count: Int)
  /// A ping of `size` bytes with DF set gets through (`fits`) or fails with a clean "too big" error.
  case pmtu(from: String, to: Target, size: Int, fits: Bool)
  /// `routed-hook status --json` on `host` mentions every guest in `lists` and none in `lacks`.
  case hookStatus(host: String, lists: [String], lacks: [String])
  /// libvirtd's log on a `libvirt: true` host shows routed-hook run for every op in `called`, and no failed
  /// hook run at all.
  case libvirtLog(host: String, called: [String])
  /// `routed-hook status` on a libvirt host is clean and lists exactly the domains libvirtd says are running.
  case hookMatchesLibvirt(host: String)
  /// No trace of a guest is left on its host: not in hook status, no route to its address, not in nft rules.
  case gone(guest: String)
  /// No trace of one address on a host: no /32 route, no proxy neighbour entry, no nft mention.
  case goneAddress(host: String, address: IPv4Address)
  /// A ping of `size` bytes (fragmentation allowed) gets no reply, and the receive/transmit error and drop
  /// counters of the `on` interfaces rise: the talk's MTU mismatch on an attached card.
  case drops(from: String, to: Target, size: Int, on: [InterfaceRef])
  /// `routed-hook doctor --json` on `host` (with its hook config, if it has one) reports `finding` (an id),
  /// none of `lacks`, and (when `critical` is given) a critical finding or none.
  case doctor(host: String, finding: String?, lacks: [String], critical: Bool?)
  /// routed-hook refuses the intent: `guest` set runs `prepare begin` for that guest on `host`; otherwise
  /// `routed-hook check` runs on `host` with `config` (or the host's own hook config), and with
  /// `--peer` the hook config of host `peer`. It must exit non-zero with `message` in its output.
  case refused(host: String, guest: String?, config: HookConfigSource?, peer: String?, message: String)
  /// BIRD on `host` has `sessions` BGP sessions established (when given), and within `within` seconds the
  /// kernel holds a BIRD route (`ip -j route show proto bird`) to every guest of `learns` and to none of
  /// `lacks`; the row shows how long that took.
  case bgp(host: String, sessions: Int?, learns: [String], lacks: [String], within: Double)
  /// `routed-hook init` on `host` writes a config that `routed-hook check` accepts, and it guesses what the host's
  /// config (or intent) says: bridges, gateways, MTUs; uplinks' interfaces, modes, layers and peers.
  case initConfig(host: String)
  /// `routed-hook status --json` shows the host's watch daemon running (and on a libvirt host connected to every
  /// URI, at least `connects` times).
  case watching(host: String, connects: Int)
  /// An IPv6 row (`reach6`, `noReach6`, `nat6`, `ndp`, `spoof6`, `dad`).
  case ipv6(IPv6Expectation)
}

/// Which probes a reach expectation uses.
public enum Probe: String, Sendable, Equatable, CaseIterable {
  case ping
  case tcp
}

/// Something to send to: a node (by its primary address), one interface of a node, or a literal address.
public enum Target: Sendable, Equatable, CustomStringConvertible {
  case node(String)
  case interface(InterfaceRef)
  case address(IPv4Address)

  public var description: String {
    switch self {
    case .node(let name): return name
    case .interface(let ref): return ref.description
    case .address(let address): return address.description
    }
  }
}

/// One interface of one node, written `node.interface` (e.g. `lpar11.osa10`).
public struct InterfaceRef: Sendable, Equatable, CustomStringConvertible {
  public var node: String
  public var interface: String

  public var description: String { "\(node).\(interface)" }
}

extension InterfaceRef {
  /// Parses `node.interface`; nil without exactly one dot. (In an extension, so the memberwise init stays.)
  public init?(_ text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
    self.init(node: String(parts[0]), interface: String(parts[1]))
  }
}
