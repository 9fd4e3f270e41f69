/// One message of an nftables transaction, as meaning; the effect layer encodes it with libnftnl.
public enum NftOperation: Sendable, Equatable {
  case addTable(OwnedTable)
  case deleteTable(OwnedTable)
  case addSet(OwnedSet)
  case deleteSet(OwnedSet)
  case addChain(OwnedChain)
  case deleteChain(NftObjectName)
  case addRule(Rule, in: OwnedChain)
  case deleteRule(KernelRule)
  case addElement(OwnedSet, SetElementKey, comment: String)
  case deleteElement(OwnedSet, SetElementKey)
}

/// One route change, with the index of the device it names.
public struct RouteChange: Sendable, Equatable {
  public enum Operation: Sendable, Equatable {
    /// `ip route add`: fails with EEXIST when the prefix is taken.
    case add
    /// Overwrites a route of ours for the same prefix (different device or gateway).
    case replace
    /// `ip route del … proto P`: the kernel refuses to match a route of another protocol.
    case delete
  }

  public var operation: Operation
  public var route: OwnedRoute
  public var outputIndex: Int32

  public init(_ operation: Operation, _ route: OwnedRoute, outputIndex: Int32) {
    self.operation = operation
    self.route = route
    self.outputIndex = outputIndex
  }
}

/// One change to the kernel. The effect layer performs it and decides nothing.
public enum KernelStep: Sendable, Equatable {
  /// Set the MTU and IFF_UP.
  case setLink(KernelLink, mtu: Int)
  /// Add (exclusively) or delete an address tagged with IFA_PROTO.
  case changeAddress(add: Bool, KernelLink, IPInterface, routeProtocol: UInt8)
  case writeSysctl(InterfaceSysctl)
  /// One nftables transaction: all or nothing; an empty one sends nothing.
  case commit([NftOperation])
  case changeRoute(RouteChange)
  /// Add (exclusively, tagged with NDA_PROTOCOL) or delete a proxy neighbour entry on the device `outputIndex`.
  case changeNeighbour(add: Bool, ProxyNeighbour, outputIndex: Int32)
}

/// A step and what reverses it once done; steps without an undo are never reversed (idempotent host state).
public struct PlannedStep: Sendable, Equatable {
  public var step: KernelStep
  public var undo: KernelStep?

  public init(_ step: KernelStep, undo: KernelStep? = nil) {
    self.step = step
    self.undo = undo
  }
}

/// A decision: the steps in order, and what they change in terms of the plan's objects.
public struct KernelChanges: Sendable, Equatable {
  public var steps: [PlannedStep] = []
  public var report = ApplyReport()

  public init(steps: [PlannedStep] = [], report: ApplyReport = ApplyReport()) {
    self.steps = steps
    self.report = report
  }
}

/// Why the core refuses to change the kernel, with the message to show. `kind` says which errno the effect
/// layer reports with it.
public struct KernelRefusal: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// A link, address or route names an interface that does not exist (ENODEV).
    case noSuchInterface
    /// A sysctl's file does not exist: no such interface (ENOENT).
    case noSuchSysctl
    /// Someone else's route holds the prefix (EEXIST).
    case foreignRoute
    /// Someone else's proxy neighbour entry holds the address on that device (EEXIST).
    case foreignNeighbour
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
}
