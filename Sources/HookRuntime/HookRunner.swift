#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// Runs one libvirt hook call end to end and returns the exit status the policy prescribes.
public enum HookRunner {
  /// One hook call, in a process that exits with the returned status right after.
  public static func run(kind: HookKind, arguments: [String], settings: Settings, input: Int32 = 0) -> Int32 {
    var routing = GuestRouting(settings: settings)
    routing.exitsAfterCall = true
    return run(kind: kind, arguments: arguments, routing: routing, input: input)
  }

  /// One hook call through `routing`, whose kernel may be a scripted one (tests).
  static func run(kind: HookKind, arguments: [String], routing: GuestRouting, input: Int32) -> Int32 {
    let started = Clock.now()
    // Always drain stdin, so libvirt never sees a broken pipe, and never bail out before knowing the policy.
    let stdin = Result { () throws(SystemError) in
      try Files.readAll(FileDescriptor(rawValue: input), limit: DomainXML.maximumSize, what: "stdin")
    }
    let invocation: HookInvocation
    do {
      let (lenient, warning) = try HookInvocation.lenient(kind: kind, arguments: arguments)
      if let warning { printError(warning) }
      invocation = lenient
    } catch {
      printError(error.description)
      return 1
    }
    let policy = HookPolicy.decide(invocation)
    // Ignored operations and domains routed-hook does not route are not counted: their calls stay as cheap as
    // without the counters, and write nothing (the state directory is routed guests' business).
    guard policy.action != .ignore else { return 0 }
    // Last thing before exit: a deleting commit's socket goes to a holder, so libvirt stops waiting at the ACK.
    defer { DeferredRelease.handOff(stateDirectory: routing.settings.stateDirectory) }
    let what = "\(kind.rawValue) \(invocation.object) \(invocation.operation)"
    do {
      let outcome = try perform(policy.action, invocation: invocation, stdin: stdin.get(), routing: routing)
      if let report = outcome.report, let domain = outcome.domain {
        AuditLog.record(
          "\(what) domain=\(domain.name) uuid=\(domain.uuid) added=\(report.added.count) removed=\(report.removed.count) "
            + "unchanged=\(report.unchanged) objects=[\(Summary.objects(report))] ms=\(Clock.milliseconds(since: started))"
        )
      }
      if !outcome.isUnmanaged {
        HookCallCounters.count(
          kind: kind, operation: invocation.operation, outcome: .ok, stateDirectory: routing.settings.stateDirectory)
      }
      return 0
    } catch {
      let exit = policy.exitStatusOnFailure
      let line = "\(invocation.operation) \(invocation.object): \(error)"
      printError(exit == 0 ? "\(line) (ignored: libvirt must not fail this operation)" : line)
      AuditLog.record("\(what) failed exit=\(exit): \(error)")
      HookCallCounters.count(
        kind: kind, operation: invocation.operation, outcome: exit == 0 ? .failedIgnored : .refused,
        stateDirectory: routing.settings.stateDirectory)
      return exit
    }
  }

  static func perform(
    _ action: HookAction, invocation: HookInvocation, stdin: Files.ReadResult, routing: GuestRouting
  )
    throws -> Outcome
  {
    if invocation.kind == .network { return try performNetwork(action, stdin: stdin, routing: routing) }
    // The config file is read once: the unmanaged shortcut looks at its bytes, the planner at it parsed.
    var configRead: [UInt8]?? = nil
    func configBytes() throws -> [UInt8]? {
      if let configRead { return configRead }
      let bytes = try routing.configBytes()
      configRead = .some(bytes)
      return bytes
    }
    let domain: DomainDescription?
    switch stdin {
    case .tooLarge(let size):
      throw DomainXMLError(
        "domain XML on stdin is \(size) bytes, over the \(DomainXML.maximumSize >> 20) MiB limit")
    case .missing:
      domain = nil
    case .contents(let bytes):
      if action == .remove {
        // `release` after `stopped`, or any removal of a domain never routed: no record, nothing to parse.
        guard routing.hasRecords else { return Outcome(domain: nil, plan: Plan(), report: nil) }
        // Only when the document opens as libvirt writes it and names the domain libvirt called us for:
        // then the full parse could only find the same UUID, or fail and remove by that same name.
        if let head = UnmanagedShortcut.domainHead(bytes), head.name == invocation.object {
          // A migration that failed here after `migrate begin`: its marker must not make a later start arrive.
          routing.incoming.clear(head.uuid)
          guard routing.hasRecord(head.uuid) else { return Outcome(domain: nil, plan: Plan(), report: nil) }
          // Removal follows the record alone, so the UUID is all it needs from the XML: no parse.
          return try routing.remove(uuid: head.uuid, name: nil)
        }
      }
      if action != .remove, let config = try configBytes(),
        UnmanagedShortcut.applies(domainXML: bytes, config: config, hasRecord: routing.hasRecord)
      {
        return Outcome(domain: nil, plan: Plan(), report: nil)
      }
      do {
        domain = try DomainXML.parse(bytes)
      } catch  where action == .remove {
        // Removal follows the record, so an unreadable XML still lets us find the domain by name.
        domain = nil
      }
    }
    if action == .remove {
      // Records are named by UUID, so a readable domain without one never had any: nothing to take the lock for.
      if let domain, domain.identityProblem != nil { return Outcome(domain: nil, plan: Plan(), report: nil) }
      // As in the shortcut above: whichever way the UUID was read, a stop ends the migration its marker announced.
      if let uuid = domain?.identity.uuid { routing.incoming.clear(uuid) }
      return try routing.remove(uuid: domain?.identity.uuid, name: domain == nil ? invocation.object : nil)
    }
    guard let bytes = try configBytes() else { return Outcome(domain: nil, plan: Plan(), report: nil) }
    let config = try routing.config(from: bytes)
    guard let domain else { throw DomainXMLError("no domain XML on stdin") }
    return try routing.run(action, domain: domain, config: config)
  }

  /// The network hook: baseline for our networks, per-NIC routing for their ports.
  static func performNetwork(_ action: HookAction, stdin: Files.ReadResult, routing: GuestRouting) throws
    -> Outcome
  {
    guard let config = try routing.loadConfig() else { return Outcome(domain: nil, plan: Plan(), report: nil) }
    let bytes: [UInt8]
    switch stdin {
    case .contents(let data): bytes = data
    case .missing: throw DomainXMLError("no hook data on stdin")
    case .tooLarge(let size):
      throw DomainXMLError("hook data on stdin is \(size) bytes, over the 16 MiB limit")
    }
    let data = try NetworkHookData.parse(bytes)
    guard
      config.guestNetwork(bridge: data.bridge ?? data.port?.bridge, libvirtNetwork: data.networkName) != nil
    else {
      return Outcome(domain: nil, plan: Plan(), report: nil)
    }
    let network = DomainIdentity(name: data.networkName, uuid: "")
    switch action {
    case .validate:
      try routing.validateHost(config: config)
      return Outcome(domain: nil, plan: Plan(), report: nil)
    case .applyBaseline:
      return Outcome(domain: network, plan: Plan(), report: try routing.hostUp(config: config))
    case .removeBaseline:
      return Outcome(
        domain: network, plan: Plan(), report: try routing.hostDown(config: config, whenUnused: true))
    case .applyPort:
      guard let port = data.port else { throw DomainXMLError("port-created without <networkport>") }
      return try routing.addPort(port, network: data.networkName, config: config)
    case .removePort:
      guard let port = data.port else { throw DomainXMLError("port-deleted without <networkport>") }
      return try routing.removePort(port)
    default:
      return Outcome(domain: nil, plan: Plan(), report: nil)
    }
  }
}

/// Monotonic time for the audit trail's durations.
enum Clock {
  static func now() -> timespec {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time
  }

  static func milliseconds(since start: timespec) -> String {
    let end = now()
    let nanos = (end.tv_sec - start.tv_sec) * 1_000_000_000 + (end.tv_nsec - start.tv_nsec)
    let tenths = nanos / 100_000
    return "\(tenths / 10).\(tenths % 10)"
  }
}

/// Short object lists for log lines.
enum Summary {
  static func objects(_ report: ApplyReport) -> String {
    (report.added.map { "+\(describe($0))" } + report.removed.map { "-\(describe($0))" }).concatenated(
      separator: " ")
  }

  static func describe(_ object: KernelObject) -> String {
    switch object {
    case .element(let set, let key, _): "\(set.name){\(key)}"
    case .route(let route): "route \(route.destination)"
    case .address(let interface, let address, _): "address \(address) dev \(interface)"
    case .link(let interface, let mtu): "link \(interface) mtu \(mtu)"
    case .sysctl(let sysctl): "\(sysctl.key.family) \(sysctl.interface).\(sysctl.key.name)=\(sysctl.value)"
    case .neighbour(let neighbour): "proxy \(neighbour.address) dev \(neighbour.device)"
    case .table(let table): "table \(table.rawValue)"
    case .set(let set): "set \(set.name)"
    case .chain(let chain): "chain \(chain.table.name) \(chain.name)"
    }
  }
}
