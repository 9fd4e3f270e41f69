/// Plans for one NIC of a libvirt network (`port-created`, `port-deleted`), merged into its domain's record.
public enum PortPlanner {
  /// Routes the port's NIC, with its address from the domain's `metadata` (or the config's `domains:`); the record becomes the domain's record plus this NIC, so a later `started`
  /// (or a repeated `port-created` on daemon restart) finds it already applied and changes nothing.
  public static func add(
    _ port: NetworkPort, network: String, metadata: [GuestAddress]?, config: HostConfig,
    existing: DomainRecord?,
    facts: HostFacts
  ) throws(DomainError) -> Plan {
    let nic = DomainInterface(
      type: "network", mac: port.mac, sourceBridge: port.bridge, sourceNetwork: network, targetDevice: nil,
      virtualPort: nil)
    let domain = DomainDescription(identity: port.owner, interfaces: [nic], metadata: metadata)
    let interfaces = try GuestResolver.managedInterfaces(of: domain, config: config)
    guard !interfaces.isEmpty else { return Plan() }
    try Planner.checkHost(config: config, interfaces: interfaces, facts: facts)
    let objects = Planner.guestObjects(for: interfaces, domain: port.owner, config: config)
    var record = existing ?? DomainRecord(domain: port.owner, interfaces: [], objects: [])
    if let index = record.interfaces.firstIndex(where: { $0.mac == port.mac }) {
      record.interfaces[index] = interfaces[0]
    } else {
      record.interfaces += interfaces
    }
    record.objects += objects.filter { !record.objects.contains($0) }
    return Plan(
      baseline: Planner.baseline(config: config, facts: facts), guestChanges: objects.map(KernelChange.add),
      record: record, domain: port.owner)
  }

  /// Removes what the record holds for the port's NIC (by its address), whatever the config says now.
  public static func remove(_ port: NetworkPort, existing: DomainRecord?) -> Plan {
    guard var record = existing, let nic = record.interfaces.first(where: { $0.mac == port.mac }) else {
      return Plan()
    }
    let addresses = nic.addresses
    let objects = record.objects.filter { $0.belongs(to: addresses) }
    record.objects.removeAll { $0.belongs(to: addresses) }
    record.interfaces.removeAll { $0.mac == port.mac }
    return Plan(
      guestChanges: objects.map(KernelChange.remove), record: record.interfaces.isEmpty ? nil : record,
      domain: record.domain)
  }
}

extension KernelObject {
  /// True for the per-guest objects of a NIC's addresses: set elements, /32 and /128 routes, proxy entries.
  func belongs(to addresses: [IPAddress]) -> Bool {
    switch self {
    case .element(_, let key, _): addresses.contains(key.address)
    case .route(let route): addresses.contains { route.destination == .host($0) }
    case .neighbour(let neighbour): addresses.contains(.v6(neighbour.address))
    default: false
    }
  }
}
