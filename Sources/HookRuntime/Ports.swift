import RoutedCore
import RoutedKernel

/// The network hook's per-NIC side: `port-created` (domain start, hotplug, daemon restart) and `port-deleted`.
extension GuestRouting {
  public func addPort(_ port: NetworkPort, network: String, config: HostConfig) throws -> Outcome {
    let kernel = try self.kernel()
    let facts = try hostFacts(kernel, config: config)
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    let store = RecordStore(directory: settings.stateDirectory)
    let index = AddressIndex(stateDirectory: settings.stateDirectory)
    let existing = try store.load(uuid: port.owner.uuid)
    let plan = try PortPlanner.add(
      port, network: network, metadata: metadata(of: port.owner), config: config, existing: existing,
      facts: facts)
    guard let record = plan.record else { return Outcome(domain: nil, plan: plan, report: nil) }
    let others = try RecordPolicy.otherHolders(
      record.interfaces.flatMap(\.addresses).map { index.owner(of: $0) }, except: port.owner.uuid
    ).compactMap(store.load(uuid:))
    try GuestResolver.checkConflicts(record.interfaces, domain: port.owner, records: others)
    try store.write(record)
    try index.claim(record.interfaces.flatMap(\.addresses), for: port.owner.uuid)
    let report = try kernel.apply(plan)
    return Outcome(domain: port.owner, plan: plan, report: report)
  }

  public func removePort(_ port: NetworkPort) throws -> Outcome {
    guard hasRecords else { return Outcome(domain: nil, plan: Plan(), report: nil) }
    let lock = try HookLock.acquire(directory: settings.stateDirectory)
    defer { withExtendedLifetime(lock) {} }
    let store = RecordStore(directory: settings.stateDirectory)
    let existing = try store.load(uuid: port.owner.uuid)
    let plan = PortPlanner.remove(port, existing: existing)
    guard !plan.isEmpty, let existing else { return Outcome(domain: nil, plan: plan, report: nil) }
    let report = try kernel().apply(plan)
    if let record = plan.record { try store.write(record) } else { try store.delete(uuid: port.owner.uuid) }
    AddressIndex(stateDirectory: settings.stateDirectory).release(
      RecordPolicy.released(old: existing, new: plan.record), for: port.owner.uuid)
    return Outcome(domain: port.owner, plan: plan, report: report)
  }

  /// The domain's `urn:routed-hook:1` metadata from libvirt's status file (the hook must not ask libvirt).
  func metadata(of domain: DomainIdentity) -> [GuestAddress]? {
    // The owner's name comes from the hook data: a name with a path in it (`../../x/f`) reads no file.
    guard !domain.name.contains("/"), domain.name != ".", domain.name != ".." else { return nil }
    for driver in ["qemu", "lxc"] {
      guard
        case .contents(let bytes)? = try? Files.read(
          "\(settings.libvirtRunDirectory)/\(driver)/\(domain.name).xml", followLinks: false),
        let description = try? DomainXML.parse(bytes), description.identity.uuid == domain.uuid
      else { continue }
      return description.metadata
    }
    return nil
  }
}
