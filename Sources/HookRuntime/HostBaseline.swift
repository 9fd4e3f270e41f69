import RoutedCore
import RoutedKernel

/// The host-wide side: `host up|down` and the network hook's start, started, updated and stopped.
extension GuestRouting {
  /// Checks config and host without changing anything (the network hook's `start`).
  public func validateHost(config: HostConfig) throws {
    try RecordPolicy.checkHost(config: config, facts: try hostFacts(try kernel(), config: config))
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
    switch RecordPolicy.hostDown(try RecordStore(directory: settings.stateDirectory).all(), whenUnused: whenUnused) {
    case .proceed: break
    case .keep: return nil
    case .refuse(let refusal): throw refusal
    }
    let facts = try hostFacts(kernel, config: config)
    let (remove, reset) = Planner.baselineRemoval(config: config, facts: facts)
    var report = try kernel.removeBaseline(remove)
    let turnedOff = try kernel.apply(Plan(baseline: reset))
    report.removed += turnedOff.added
    return report
  }
}
