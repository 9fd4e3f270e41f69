import RoutedCore
import RoutedKernel

/// The host-wide side: `host up|down` and the network hook's start, started, updated and stopped.
extension Engine {
  /// Checks config and host without changing anything (the network hook's `start`).
  public func validateHost(config: HostConfig) throws {
    let facts = try hostFacts(try kernel(), config: config)
    if let problem = ConfigValidator.problems(in: config, facts: facts).first {
      throw RuntimeError("\(problem.field): \(problem.message)")
    }
    for bridge in config.guestNetworks.map(\.bridge) where facts.addresses[bridge] == nil {
      throw RuntimeError("bridge \(bridge) does not exist on this host")
    }
  }

  /// Makes the baseline: gateway addresses, MTU, sysctls, owned tables, peer routes.
  public func hostUp(config: HostConfig) throws -> ApplyReport {
    try validateHost(config: config)
    let kernel = try self.kernel()
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    let facts = try hostFacts(kernel, config: config)
    return try kernel.apply(Plan(baseline: Planner.baseline(config: config, facts: facts)))
  }

  /// Removes the baseline and turns its sysctls off; refused while any guest is recorded (their routing
  /// lives in the baseline's tables), unless `whenUnused`, which then does nothing and says so.
  public func hostDown(config: HostConfig, whenUnused: Bool = false) throws -> ApplyReport? {
    let kernel = try self.kernel()
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    let records = try RecordStore(directory: settings.stateDirectory).all()
    if !records.isEmpty {
      if whenUnused { return nil }
      let names = records.map(\.domain.name).sorted().joined(separator: ", ")
      throw RuntimeError("\(records.count) guest(s) still routed here (\(names)); stop them first")
    }
    let facts = try hostFacts(kernel, config: config)
    let (remove, reset) = Planner.baselineRemoval(config: config, facts: facts)
    var report = try kernel.removeBaseline(remove)
    let turnedOff = try kernel.apply(Plan(baseline: reset))
    report.removed += turnedOff.added
    return report
  }
}
