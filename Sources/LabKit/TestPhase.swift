/// A named step of the test matrix: lifecycle actions first, then expectations (own and repeated ones).
public struct TestPhase: Sendable, Equatable {
  public var name: String
  /// Done in order before the phase's expectations are checked.
  public var actions: [LabAction]
  /// Names of earlier phases whose expectations are checked again here (e.g. after a daemon restart).
  public var repeats: [String]
  public var expectations: [Expectation]

  public init(
    name: String, actions: [LabAction] = [], repeats: [String] = [], expectations: [Expectation] = []
  ) {
    self.name = name
    self.actions = actions
    self.repeats = repeats
    self.expectations = expectations
  }
}

/// A libvirt-like lifecycle event the test matrix can cause.
public enum LabAction: Sendable, Equatable, CustomStringConvertible {
  case start(guest: String)
  case stop(guest: String)
  case restartDaemon(host: String)

  public var description: String {
    switch self {
    case .start(let guest): return "guest start \(guest)"
    case .stop(let guest): return "guest stop \(guest)"
    case .restartDaemon(let host): return "host restart-daemon \(host)"
    }
  }
}
