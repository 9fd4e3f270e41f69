import Foundation

/// Runs a topology's test phases in order: each phase's actions, then its own and repeated expectations.
public struct TestRunner: Sendable {
  public let topology: Topology
  public let names: LabNames
  public let hook: HookDriver?

  public init(topology: Topology, names: LabNames, hook: HookDriver?) {
    self.topology = topology
    self.names = names
    self.hook = hook
  }

  /// One row of the result table.
  public struct Row: Sendable {
    public var phase: String
    public var scenario: String
    public var name: String
    public var passed: Bool
    public var measured: String
    public var seconds: Double
  }

  /// Runs every phase (or only those named in `only`); `onRow` sees each row as it is done.
  public func run(only: [String] = [], onRow: (Row) -> Void = { _ in }) -> [Row] {
    var rows: [Row] = []
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    let checker = ExpectationRunner(topology: topology, names: names, hook: hook)
    for phase in topology.tests where only.isEmpty || only.contains(phase.name) {
      for action in phase.actions {
        let start = Date()
        var row = Row(phase: phase.name, scenario: "do", name: action.description, passed: true, measured: "done", seconds: 0)
        do {
          let warnings = try perform(action, lifecycle: lifecycle)
          if !warnings.isEmpty { row.measured = "done; " + warnings.joined(separator: "; ") }
        } catch {
          row.passed = false
          row.measured = "\(error)"
        }
        row.seconds = Date().timeIntervalSince(start)
        rows.append(row)
        onRow(row)
      }
      let repeated = phase.repeats.flatMap { name in topology.tests.first { $0.name == name }?.expectations ?? [] }
      for expectation in phase.expectations + repeated {
        let start = Date()
        let outcome = checker.check(expectation)
        let row = Row(
          phase: phase.name, scenario: expectation.scenario ?? "", name: expectation.name, passed: outcome.passed,
          measured: outcome.measured, seconds: Date().timeIntervalSince(start))
        rows.append(row)
        onRow(row)
      }
    }
    return rows
  }

  private func perform(_ action: LabAction, lifecycle: GuestLifecycle) throws -> [String] {
    switch action {
    case .start(let name):
      guard !lifecycle.isRunning(name) else { return ["already running"] }
      try lifecycle.start([topology.guest(named: name)!])
      return []
    case .stop(let name):
      guard lifecycle.isRunning(name) else { return ["not running"] }
      return try lifecycle.stop(topology.guest(named: name)!)
    case .restartDaemon(let host):
      try lifecycle.restartDaemon(host: host)
      return []
    }
  }
}
