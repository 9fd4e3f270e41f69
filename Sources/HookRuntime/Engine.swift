#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// What one apply or remove did.
public struct Outcome: Sendable {
  public var domain: DomainIdentity?
  public var plan: Plan
  public var report: ApplyReport?

  /// True when the domain has nothing routed-hook manages.
  public var isUnmanaged: Bool { plan.isEmpty && plan.record == nil && domain == nil }
}

/// The hook's use cases, shared by libvirt hook calls and the CLI: validate, apply, remove, status.
public struct Engine {
  public var settings: Settings
  /// True in a process that exits right after the call (a hook call): its netlink sockets are left for
  /// exit to close (see `KernelApplier.closeSocketsAtExit`).
  public var exitsAfterCall = false

  public init(settings: Settings) { self.settings = settings }

  /// A kernel applier for this call.
  func kernel() throws -> KernelApplier {
    let kernel = try KernelApplier()
    if exitsAfterCall { kernel.closeSocketsAtExit() }
    return kernel
  }

  /// The config, or nil when the file does not exist (a host without our config is never our business).
  public func loadConfig() throws -> HostConfig? {
    guard let bytes = try configBytes() else { return nil }
    return try config(from: bytes)
  }

  /// The config parsed from the file's bytes, read already.
  func config(from bytes: [UInt8]) throws -> HostConfig {
    try ConfigLoader.load(yaml: String(decoding: bytes, as: UTF8.self), file: settings.configPath)
  }

  /// The config file's bytes, or nil when it does not exist.
  func configBytes() throws -> [UInt8]? {
    switch try Files.read(settings.configPath, limit: 1 << 20) {
    case .missing: return nil
    case .tooLarge(let size):
      throw RuntimeError("\(settings.configPath): \(size) bytes is too large for a config")
    case .contents(let bytes): return bytes
    }
  }

  /// Validates, applies or re-applies `domain` under the lock, recording what it applied.
  public func run(_ action: HookAction, domain: DomainDescription, config: HostConfig) throws -> Outcome {
    let interfaces = try GuestResolver.managedInterfaces(of: domain, config: config)
    // An unmanaged domain with no record costs no netlink socket, no lock and no state directory.
    if interfaces.isEmpty && !hasRecord(domain.identity.uuid) {
      return Outcome(domain: nil, plan: Plan(), report: nil)
    }
    if action == .recheck {
      let plan = try Planner.plan(
        .recheck, domain: domain, config: config,
        records: holders(of: interfaces, except: domain.identity.uuid),
        facts: HostFacts())
      return Outcome(domain: domain.identity, plan: plan, report: nil)
    }
    let kernel = try self.kernel()
    if action == .validate {
      return try validate(domain, interfaces: interfaces, config: config, kernel: kernel)
    }
    let facts = try hostFacts(kernel, config: config)
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    return try runHoldingLock(
      action, domain: domain, interfaces: interfaces, config: config, kernel: kernel, facts: facts)
  }

  /// `prepare`: reads only, so no lock (records are replaced by rename, never seen half written)
  /// and no record of its own: only the records of whoever holds one of its addresses.
  func validate(
    _ domain: DomainDescription, interfaces: [ManagedInterface], config: HostConfig, kernel: KernelApplier
  ) throws -> Outcome {
    // Only the domain's bridges, their ports and the routes to its addresses: never every link, since a
    // host has a tap per guest.
    let snapshot = try kernel.readNetworkSnapshot(
      routesTo: interfaces.map(\.address), bridges: Array(Set(interfaces.map(\.bridge))).sorted())
    let facts = try hostFacts(kernel, config: config)
    let others = try holders(of: interfaces, except: domain.identity.uuid)
    let plan = try Planner.plan(.validate, domain: domain, config: config, records: others, facts: facts)
    try checkStart(snapshot, config: config, interfaces: interfaces)
    return Outcome(domain: domain.identity, plan: plan, report: nil)
  }

  /// The records of the running guests that hold one of these NICs' addresses (by the address index).
  func holders(of interfaces: [ManagedInterface], except uuid: String) throws -> [DomainRecord] {
    let store = RecordStore(directory: settings.stateDirectory)
    let index = AddressIndex(stateDirectory: settings.stateDirectory)
    var records: [DomainRecord] = []
    for owner in Set(interfaces.compactMap { index.owner(of: $0.address) }) where owner != uuid {
      if let record = try store.load(uuid: owner) { records.append(record) }
    }
    return records
  }

  /// The body of `run`, for callers that hold the hook lock already (`reconcile`; flock is not reentrant).
  func runHoldingLock(
    _ action: HookAction, domain: DomainDescription, interfaces: [ManagedInterface], config: HostConfig,
    kernel: KernelApplier, facts: HostFacts
  ) throws -> Outcome {
    let store = RecordStore(directory: settings.stateDirectory)
    let uuid = domain.identity.uuid
    let index = AddressIndex(stateDirectory: settings.stateDirectory)
    let existing = try store.load(uuid: uuid)
    // Only the records that matter: this domain's, and those of whoever holds one of its addresses.
    var records = existing.map { [$0] } ?? []
    for owner in Set(interfaces.compactMap { index.owner(of: $0.address) }) where owner != uuid {
      if let record = try store.load(uuid: owner) { records.append(record) }
    }
    let plan = try Planner.plan(action, domain: domain, config: config, records: records, facts: facts)
    guard action != .validate, !plan.isEmpty || plan.record != nil else {
      return Outcome(domain: domain.identity, plan: plan, report: nil)
    }
    let oldAddresses = existing?.interfaces.map(\.address) ?? []
    let newAddresses = plan.record?.interfaces.map(\.address) ?? []
    var written = existing
    var pending: RecordStore.PendingWrite?
    if var intent = plan.record {
      // Written ahead, so a crash mid-apply leaves a record that `status` and `reconnect` can repair from.
      // It is in place before the kernel changes; its fsync runs while apply reads the kernel.
      intent.objects = (existing?.objects ?? []).filter { !intent.objects.contains($0) } + intent.objects
      if intent != existing {
        pending = try store.writeAhead(intent)
        written = intent
      }
    }
    let report = try kernel.apply(plan) {
      try pending?.finish()
      if plan.record != nil { try index.claim(newAddresses, for: uuid) }
    }
    if let record = plan.record {
      // A first start writes the same record twice otherwise.
      if record != written { try store.write(record) }
    } else {
      try store.delete(uuid: uuid)
    }
    index.release(oldAddresses.filter { !newAddresses.contains($0) }, for: uuid)
    return Outcome(domain: domain.identity, plan: plan, report: report)
  }

  /// Removes exactly what the record of `uuid` (or, lacking a UUID, of the domain `name`) says.
  public func remove(uuid: String?, name: String?) throws -> Outcome {
    // `release` after `stopped` finds no record: no lock, no netlink.
    guard hasRecords, uuid.map(hasRecord) ?? true else {
      return Outcome(domain: nil, plan: Plan(), report: nil)
    }
    let store = RecordStore(directory: settings.stateDirectory)
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    let record: DomainRecord?
    if let uuid {
      record = try store.load(uuid: uuid)
    } else {
      record = try store.all().first { $0.domain.name == name }
    }
    guard let record else { return Outcome(domain: nil, plan: Plan(), report: nil) }
    return try removeHoldingLock(record, kernel: kernel())
  }

  /// The body of `remove` once the record is found, for callers that hold the hook lock already.
  func removeHoldingLock(_ record: DomainRecord, kernel: KernelApplier) throws -> Outcome {
    let store = RecordStore(directory: settings.stateDirectory)
    let plan = Planner.removal(of: record)
    let report = try kernel.apply(plan)
    try store.delete(uuid: record.domain.uuid)
    AddressIndex(stateDirectory: settings.stateDirectory).release(
      record.interfaces.map(\.address), for: record.domain.uuid)
    return Outcome(domain: record.domain, plan: plan, report: report)
  }

  /// Whether `uuid` has a record file, without reading it.
  func hasRecord(_ uuid: String) -> Bool {
    !uuid.contains("/") && access("\(settings.stateDirectory)/\(uuid).json", F_OK) == 0
  }

  /// False when the state directory does not exist: nothing was ever applied on this boot.
  var hasRecords: Bool { access(settings.stateDirectory, F_OK) == 0 }

  /// Addresses of every interface that has one (the proxy-ARP pitfall is about any other interface), and
  /// an entry for each of the config's bridges and uplinks that exists.
  func hostFacts(_ kernel: KernelApplier, config: HostConfig) throws -> HostFacts {
    try kernel.readHostFacts(interfaces: config.guestNetworks.map(\.bridge) + config.uplinks.map(\.interface))
  }
}

/// A one-line account of an apply, for the CLI.
public struct ApplyReportSummary: Sendable {
  public var text: String

  public init(_ report: ApplyReport?) {
    guard let report else {
      text = "nothing to do"
      return
    }
    text = "\(report.added.count) added, \(report.removed.count) removed, \(report.unchanged) already right"
  }
}
