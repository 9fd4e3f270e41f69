/// Turns config, domain and records into a `Plan`. Pure: the kernel is read only through `HostFacts`.
public enum Planner {
  /// Set names: fixed, or derived from config names (`-` is not allowed in nft identifiers).
  public enum SetName {
    public static let egress = "egress"
    public static let ingress = "ingress"
    public static let masquerade = "masquerade_guests"
    public static func guests(_ network: GuestNetwork) -> String {
      "guests_\(Names.nftIdentifier(network.name))"
    }
    public static func answer(_ uplink: Uplink) -> String { "answer_\(Names.nftIdentifier(uplink.name))" }
  }

  /// The comment on host-wide set elements; guest elements carry the domain name.
  public static let hostComment = "host"

  /// The host-wide objects: gateway, MTU, sysctls, owned tables with their sets and chains, peer routes.
  public static func baseline(config: HostConfig, facts: HostFacts) -> [KernelObject] {
    var objects: [KernelObject] = []
    let uplinks = usedUplinks(config)
    let proxyUplinks = uplinks.filter { $0.mode == .proxyARP }
    let natUplinks = uplinks.filter { $0.mode == .nat }

    for network in config.guestNetworks {
      objects.append(.link(interface: network.bridge, mtu: network.mtu))
      objects.append(
        .address(interface: network.bridge, network.gateway, routeProtocol: config.routeProtocol))
      objects.append(.sysctl(InterfaceSysctl(interface: network.bridge, key: .forwarding, value: 1)))
      objects.append(.sysctl(InterfaceSysctl(interface: network.bridge, key: .proxyARP, value: 1)))
      objects.append(.sysctl(InterfaceSysctl(interface: network.bridge, key: .proxyDelay, value: 0)))
    }
    for uplink in uplinks {
      objects.append(.sysctl(InterfaceSysctl(interface: uplink.interface, key: .forwarding, value: 1)))
      if uplink.mode == .proxyARP {
        objects.append(.sysctl(InterfaceSysctl(interface: uplink.interface, key: .proxyARP, value: 1)))
        objects.append(.sysctl(InterfaceSysctl(interface: uplink.interface, key: .proxyDelay, value: 0)))
      }
    }

    objects.append(.table(.filter))
    for network in config.guestNetworks {
      objects.append(.set(OwnedSet(table: .filter, name: SetName.guests(network), keyType: .address)))
    }
    objects.append(.set(egressSet))
    objects.append(.set(ingressSet))
    objects.append(
      .chain(
        OwnedChain(
          table: .filter, name: "prerouting", kind: .filter, hook: .prerouting, priority: -150,
          rules: config.guestNetworks.map { .dropSpoofed(bridge: $0.bridge, set: SetName.guests($0)) })))
    objects.append(
      .chain(
        OwnedChain(
          table: .filter, name: "forward", kind: .filter, hook: .forward, priority: 0,
          rules: config.guestNetworks.flatMap { network -> [Rule] in
            [
              .acceptBridged(bridge: network.bridge),
              .acceptEgress(bridge: network.bridge, set: SetName.egress),
              .acceptIngress(bridge: network.bridge, set: SetName.ingress),
              .acceptReplies(bridge: network.bridge),
              .dropFromBridge(bridge: network.bridge),
              .dropToBridge(bridge: network.bridge),
            ]
          })))

    if !natUplinks.isEmpty {
      objects.append(.table(.nat))
      objects.append(.set(masqueradeSet))
      objects.append(
        .chain(
          OwnedChain(
            table: .nat, name: "postrouting", kind: .nat, hook: .postrouting, priority: 100,
            rules: [.masquerade(set: SetName.masquerade)])))
    }

    if !proxyUplinks.isEmpty {
      objects.append(.table(.arpFilter))
      for uplink in proxyUplinks { objects.append(.set(answerSet(uplink))) }
      objects.append(
        .chain(
          OwnedChain(
            table: .arpFilter, name: "input", kind: .filter, hook: .input, priority: 0,
            rules: proxyUplinks.map { .dropARPRequests(interface: $0.interface, set: SetName.answer($0)) })))
      // The host must keep answering for its own addresses on the uplink.
      for uplink in proxyUplinks {
        for address in facts.addresses[uplink.interface, default: []] {
          objects.append(
            .element(answerSet(uplink), SetElementKey(address: address.address), comment: hostComment))
        }
      }
    }

    for uplink in uplinks {
      for peer in uplink.peers {
        objects.append(
          .route(
            OwnedRoute(
              destination: peer.subnet, gateway: peer.via, device: uplink.interface,
              routeProtocol: config.routeProtocol)))
      }
    }
    return objects
  }

  /// The per-guest objects for these NICs: set elements commented with the domain name, and /32 routes.
  public static func guestObjects(
    for interfaces: [ManagedInterface], domain: DomainIdentity, config: HostConfig
  )
    -> [KernelObject]
  {
    var objects: [KernelObject] = []
    let comment = domain.name
    for nic in interfaces {
      guard let network = config.guestNetworks.first(where: { $0.name == nic.network }) else { continue }
      let address = nic.address
      objects.append(
        .element(
          OwnedSet(table: .filter, name: SetName.guests(network), keyType: .address),
          SetElementKey(address: address),
          comment: comment))
      for uplink in nic.uplinks.compactMap(config.uplink(named:)) {
        let key = SetElementKey(address: address, interface: uplink.interface)
        objects.append(.element(egressSet, key, comment: comment))
        switch uplink.mode {
        case .proxyARP:
          objects.append(.element(ingressSet, key, comment: comment))
          objects.append(.element(answerSet(uplink), SetElementKey(address: address), comment: comment))
        case .routed:
          objects.append(.element(ingressSet, key, comment: comment))
        case .nat:
          objects.append(.element(masqueradeSet, key, comment: comment))
        }
      }
      objects.append(
        .route(
          OwnedRoute(destination: .host(address), device: nic.bridge, routeProtocol: config.routeProtocol)))
    }
    return objects
  }

  /// The plan for one action on one domain. `records` are all current records; `facts` the live host's addresses.
  public static func plan(
    _ action: HookAction, domain: DomainDescription, config: HostConfig, records: [DomainRecord],
    facts: HostFacts
  ) throws(DomainError) -> Plan {
    let identity = domain.identity
    let existing = records.first { $0.domain.uuid == identity.uuid }
    switch action {
    case .ignore, .applyBaseline, .removeBaseline, .applyPort, .removePort:
      return Plan()
    case .remove:
      return removal(of: existing)
    case .recheck:
      let interfaces = try GuestResolver.managedInterfaces(of: domain, config: config)
      try GuestResolver.checkConflicts(interfaces, domain: identity, records: records)
      return Plan()
    case .validate, .apply, .reapply:
      let interfaces = try GuestResolver.managedInterfaces(of: domain, config: config)
      try GuestResolver.checkConflicts(interfaces, domain: identity, records: records)
      try checkHost(config: config, interfaces: interfaces, facts: facts)
      if action == .validate || (interfaces.isEmpty && existing == nil) { return Plan() }
      let desired = guestObjects(for: interfaces, domain: identity, config: config)
      let stale = (existing?.objects ?? []).filter { !desired.contains($0) }
      return Plan(
        baseline: interfaces.isEmpty ? [] : baseline(config: config, facts: facts),
        guestChanges: stale.map(KernelChange.remove) + desired.map(KernelChange.add),
        record: interfaces.isEmpty
          ? nil : DomainRecord(domain: identity, interfaces: interfaces, objects: desired),
        domain: identity)
    }
  }

  /// Removes exactly what `record` says, whatever the XML or config says now.
  public static func removal(of record: DomainRecord?) -> Plan {
    guard let record else { return Plan() }
    return Plan(guestChanges: record.objects.map(KernelChange.remove), record: nil, domain: record.domain)
  }

  /// What `host down` removes: owned tables, peer routes and gateway addresses, and the sysctls set back to 0.
  public static func baselineRemoval(config: HostConfig, facts: HostFacts) -> (
    remove: [KernelObject], reset: [KernelObject]
  ) {
    let objects = baseline(config: config, facts: facts)
    let remove = objects.filter { object in
      switch object {
      case .table, .set, .chain, .route, .address: true
      default: false
      }
    }
    let reset = objects.compactMap { object -> KernelObject? in
      guard case .sysctl(var sysctl) = object, sysctl.key != .proxyDelay else { return nil }
      sysctl.value = 0
      return .sysctl(sysctl)
    }
    return (remove, reset)
  }

  /// Refuses a start whose bridge or uplinks are missing, or that would hit the proxy-ARP subnet pitfall.
  static func checkHost(config: HostConfig, interfaces: [ManagedInterface], facts: HostFacts)
    throws(DomainError)
  {
    guard !interfaces.isEmpty else { return }
    for bridge in Set(interfaces.map(\.bridge)).sorted() where facts.addresses[bridge] == nil {
      throw DomainError("bridge \(bridge) does not exist on this host")
    }
    let uplinkNames = Set(interfaces.flatMap(\.uplinks))
    for uplink in config.uplinks
    where uplinkNames.contains(uplink.name) && facts.addresses[uplink.interface] == nil {
      throw DomainError("uplink '\(uplink.name)': interface \(uplink.interface) does not exist on this host")
    }
    if let problem = SubnetClash.problems(in: config, facts: facts).first {
      throw DomainError("refusing to route guests: \(problem.message)")
    }
  }

  static let egressSet = OwnedSet(table: .filter, name: SetName.egress, keyType: .addressAndInterface)
  static let ingressSet = OwnedSet(table: .filter, name: SetName.ingress, keyType: .addressAndInterface)
  static let masqueradeSet = OwnedSet(table: .nat, name: SetName.masquerade, keyType: .addressAndInterface)
  static func answerSet(_ uplink: Uplink) -> OwnedSet {
    OwnedSet(table: .arpFilter, name: SetName.answer(uplink), keyType: .address)
  }

  /// Uplinks some guest network may use, in config order.
  static func usedUplinks(_ config: HostConfig) -> [Uplink] {
    let used = Set(config.guestNetworks.flatMap(\.uplinks))
    return config.uplinks.filter { used.contains($0.name) }
  }
}
