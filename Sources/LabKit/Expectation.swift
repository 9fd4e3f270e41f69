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
  case reach(from: String, to: Target, probes: [Probe], port: Int?, expected: Bool)
  /// An arping from `from` for `target` is answered by exactly the MAC of `answeredBy`, or by nobody (nil).
  case arp(from: String, target: Target, answeredBy: InterfaceRef?)
  /// A TCP connection from `from` to `to` arrives with the address of `source` as its source.
  case nat(from: String, to: Target, source: InterfaceRef, port: Int?)
  /// Pings from `from` to `to` are counted on every `via` interface and on none of `notVia`.
  case path(from: String, to: Target, via: [InterfaceRef], notVia: [InterfaceRef], count: Int)
  /// A ping of `size` bytes with DF set gets through (`fits`) or fails with a clean "too big" error.
  case pmtu(from: String, to: Target, size: Int, fits: Bool)
  /// `routed-hook status --json` on `host` mentions every guest in `lists` and none in `lacks`.
  case hookStatus(host: String, lists: [String], lacks: [String])
  /// No trace of a guest is left on its host: not in hook status, no route to its address, not in nft rules.
  case gone(guest: String)
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
  case address(LabAddress)

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

  public init(node: String, interface: String) {
    self.node = node
    self.interface = interface
  }

  /// Parses `node.interface`; nil without exactly one dot.
  public init?(_ text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
    self.init(node: String(parts[0]), interface: String(parts[1]))
  }

  public var description: String { "\(node).\(interface)" }
}
