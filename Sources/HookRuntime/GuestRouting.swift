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

/// The use cases of routing guests, shared by libvirt hook calls and the CLI: validate, apply, remove,
/// ports, the host baseline, status and reconcile. Each reads records and kernel, asks RoutedCore what to
/// do, and has the kernel handle it was given (this namespace's, or a scripted one in tests) do it.
public struct GuestRouting {
  public var settings: Settings
  /// True in a process that exits right after the call (a hook call): its netlink sockets are left for
  /// exit to close (see `KernelHandle.closeSocketsAtExit`).
  public var exitsAfterCall = false
  /// Opens the kernel for one call: this namespace's sockets, or scripted ones in tests.
  var openKernel: () throws -> KernelHandle

  public init(settings: Settings) {
    self.settings = settings
    openKernel = { try KernelHandle() }
  }

  init(settings: Settings, kernel: @escaping () throws -> KernelHandle) {
    self.settings = settings
    openKernel = kernel
  }

  /// The kernel handle for this call.
  func kernel() throws -> KernelHandle {
    let kernel = try openKernel()
    if exitsAfterCall { kernel.closeSocketsAtExit() }
    return kernel
  }

  /// Every record, for the CLI's `plan` (none when the state directory is missing or unreadable).
  public func records() -> [DomainRecord] {
    (try? RecordStore(directory: settings.stateDirectory).all()) ?? []
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
    switch try Files.read(settings.configPath, limit: ConfigLoader.maximumSize) {
    case .missing: return nil
    case .tooLarge(let size):
      throw SystemError(
        "\(settings.configPath): \(size) bytes is over the \(ConfigLoader.maximumSize >> 20) MiB limit for a config")
    case .contents(let bytes): return bytes
    }
  }

  /// Validates, applies or re-applies `domain` under the lock, recording what it applied.
  public func run(_ action: HookAction, domain: DomainDescription, config: HostConfig) throws -> Outcome {
    let interfaces = try GuestResolver.managedInterfaces(of: domain, config: config)
    // An unmanaged domain with no record costs no netlink socket, no lock and no state directory; one with no
    // valid UUID cannot have a record.
    if HookAction.needsNothing(
      managed: !interfaces.isEmpty, validIdentity: domain.identityProblem == nil,
      recorded: { hasRecord(domain.identity.uuid) })
    {
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
    if action == .validate || action == .validateIncoming {
      let outcome = try validate(domain, interfaces: interfaces, config: config, kernel: kernel)
      if action.marksIncoming(managed: !interfaces.isEmpty) {
        try incoming.mark(domain.identity.uuid, now: BootClock.seconds())
      }
      return outcome
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
    _ domain: DomainDescription, interfaces: [ManagedInterface], config: HostConfig, kernel: KernelHandle
  ) throws -> Outcome {
    // Only the domain's bridges, their ports and the routes to its addresses: never every link, since a
    // host has a tap per guest.
    let snapshot = try kernel.readNetworkSnapshot(
      routesTo: interfaces.compactMap(\.address), bridges: Array(Set(interfaces.map(\.bridge))).sorted())
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
    return try RecordPolicy.otherHolders(
      interfaces.flatMap(\.addresses).map { index.owner(of: $0) }, except: uuid)
      .compactMap(store.load(uuid:))
  }

  /// The body of `run`, for callers that hold the hook lock already (`reconcile`; flock is not reentrant).
  func runHoldingLock(
    _ action: HookAction, domain: DomainDescription, interfaces: [ManagedInterface], config: HostConfig,
    kernel: KernelHandle, facts: HostFacts
  ) throws -> Outcome {
    let store = RecordStore(directory: settings.stateDirectory)
    let uuid = domain.identity.uuid
    let index = AddressIndex(stateDirectory: settings.stateDirectory)
    let existing = try store.load(uuid: uuid)
    // Only the records that matter: this domain's, and those of whoever holds one of its addresses.
    let records = try (existing.map { [$0] } ?? []) + holders(of: interfaces, except: uuid)
    // `started` of an incoming migration claims the guest `arriving`; a reapply keeps the record's claim.
    let claim = Handover.startClaim(for: action, marker: { incoming.take(uuid) }, now: BootClock.seconds())
    let plan = try Planner.plan(
      action, domain: domain, config: config, records: records, facts: facts, claim: claim)
    guard action != .validate, !plan.isEmpty || plan.record != nil else {
      return Outcome(domain: domain.identity, plan: plan, report: nil)
    }
    var written = existing
    var pending: RecordStore.PendingWrite?
    // In place before the kernel changes; its fsync runs while apply reads the kernel.
    if let intent = plan.record, let ahead = RecordPolicy.writeAhead(intent, existing: existing) {
      pending = try store.writeAhead(ahead)
      written = ahead
    }
    let report = try kernel.apply(plan) {
      try pending?.finish()
      if let record = plan.record { try index.claim(record.interfaces.flatMap(\.addresses), for: uuid) }
    }
    if let record = plan.record {
      // A first start writes the same record twice otherwise.
      if record != written { try store.write(record) }
    } else {
      try store.delete(uuid: uuid)
    }
    index.release(RecordPolicy.released(old: existing, new: plan.record), for: uuid)
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
  func removeHoldingLock(_ record: DomainRecord, kernel: KernelHandle) throws -> Outcome {
    let store = RecordStore(directory: settings.stateDirectory)
    let plan = Planner.removal(of: record)
    let report = try kernel.apply(plan)
    try store.delete(uuid: record.domain.uuid)
    AddressIndex(stateDirectory: settings.stateDirectory).release(
      RecordPolicy.released(old: record, new: nil), for: record.domain.uuid)
    return Outcome(domain: record.domain, plan: plan, report: report)
  }

  /// The markers of incoming migrations (`migrate begin`).
  var incoming: IncomingMigrations { IncomingMigrations(stateDirectory: settings.stateDirectory) }

  /// Whether `uuid` has a record file, without reading it.
  func hasRecord(_ uuid: String) -> Bool {
    !uuid.contains("/") && access("\(settings.stateDirectory)/\(uuid).json", F_OK) == 0
  }

  /// False when the state directory does not exist: nothing was ever applied on this boot.
  var hasRecords: Bool { access(settings.stateDirectory, F_OK) == 0 }

  /// Addresses of every interface that has one (the proxy-ARP pitfall is about any other interface), and
  /// an entry for each of the config's bridges and uplinks that exists.
  func hostFacts(_ kernel: KernelHandle, config: HostConfig) throws -> HostFacts {
    try kernel.readHostFacts(
      interfaces: config.guestNetworks.map(\.bridge) + config.uplinks.map(\.interface),
      ipv6Uplinks: Planner.usedUplinks(config, networks: config.guestNetworks.filter { $0.gateway6 != nil })
        .map(\.interface))
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
