/// Turns config, domain and records into a `Plan`. Pure: the kernel is read only through `HostFacts`.
public enum Planner {
  /// Set names: fixed, or derived from config names (`-` is not allowed in nft identifiers).
  public enum SetName {
    public static let egress = "egress"
    public static let ingress = "ingress"
    public static let masquerade = "masquerade_guests"
    public static let egress6 = "egress6"
    public static let ingress6 = "ingress6"
    public static let masquerade6 = "masquerade6_guests"
    public static func guests(_ network: GuestNetwork) -> String {
      "guests_\(Names.nftIdentifier(network.name))"
    }
    public static func guests6(_ network: GuestNetwork) -> String {
      "guests6_\(Names.nftIdentifier(network.name))"
    }
    public static func answer(_ uplink: Uplink) -> String { "answer_\(Names.nftIdentifier(uplink.name))" }
  }

  /// The comment on host-wide set elements; guest elements carry the domain name.
  public static let hostComment = "host"

  /// The host-wide objects: gateway, MTU, sysctls, owned tables with their sets and chains, peer routes; for
  /// guest networks with `gateway6`, their IPv6 twins in the same tables and the IPv6 sysctls.
  public static func baseline(config: HostConfig, facts: HostFacts) -> [KernelObject] {
    var objects: [KernelObject] = []
    let uplinks = usedUplinks(config)
    let proxyUplinks = uplinks.filter { $0.mode == .proxyARP }
    let networks6 = config.guestNetworks.filter { $0.gateway6 != nil }
    let uplinks6 = usedUplinks(config, networks: networks6)

    for network in config.guestNetworks {
      objects.append(.link(interface: network.bridge, mtu: network.mtu))
      objects.append(
        .address(interface: network.bridge, .v4(network.gateway), routeProtocol: config.routeProtocol))
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
    objects += baseline6(config: config, networks: networks6, uplinks: uplinks6, facts: facts)

    objects.append(.table(.filter))
    for network in config.guestNetworks {
      objects.append(.set(guestsSet(network, v6: false)))
      if network.gateway6 != nil { objects.append(.set(guestsSet(network, v6: true))) }
    }
    objects.append(.set(egressSet(v6: false)))
    objects.append(.set(ingressSet(v6: false)))
    if !networks6.isEmpty {
      objects.append(.set(egressSet(v6: true)))
      objects.append(.set(ingressSet(v6: true)))
    }
    objects.append(
      .chain(
        OwnedChain(
          table: .filter, name: "prerouting", kind: .filter, hook: .prerouting, priority: -150,
          rules: config.guestNetworks.flatMap { network -> [Rule] in
            [.dropSpoofed(bridge: network.bridge, set: SetName.guests(network))]
              + (network.gateway6 == nil
                ? [] : [.dropSpoofed6(bridge: network.bridge, set: SetName.guests6(network))])
          })))
    objects.append(
      .chain(
        OwnedChain(
          table: .filter, name: "forward", kind: .filter, hook: .forward, priority: 0,
          rules: config.guestNetworks.flatMap { network -> [Rule] in
            [
              .acceptBridged(bridge: network.bridge),
              .acceptEgress(bridge: network.bridge, set: SetName.egress),
              .acceptIngress(bridge: network.bridge, set: SetName.ingress),
            ]
              + (network.gateway6 == nil
                ? []
                : [
                  .acceptEgress6(bridge: network.bridge, set: SetName.egress6),
                  .acceptIngress6(bridge: network.bridge, set: SetName.ingress6),
                ])
              + [
                .acceptReplies(bridge: network.bridge),
                .dropFromBridge(bridge: network.bridge),
                .dropToBridge(bridge: network.bridge),
              ]
          })))

    // NAT44 in `ip routed_hook_nat`, NAT66 in `ip6 routed_hook_nat`, each only where a nat uplink serves it.
    for v6 in [false, true] where (v6 ? uplinks6 : uplinks).contains(where: { $0.mode == .nat }) {
      let table: OwnedTable = v6 ? .nat6 : .nat
      objects.append(.table(table))
      objects.append(.set(masqueradeSet(v6: v6)))
      objects.append(
        .chain(
          OwnedChain(
            table: table, name: "postrouting", kind: .nat, hook: .postrouting, priority: 100,
            rules: [v6 ? .masquerade6(set: SetName.masquerade6) : .masquerade(set: SetName.masquerade)])))
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
    for uplink in uplinks6 {
      for peer in uplink.peers {
        guard let subnet6 = peer.subnet6, let via6 = peer.via6 else { continue }
        objects.append(
          .route(
            OwnedRoute(
              destination: .v6(subnet6), gateway: .v6(via6), device: uplink.interface,
              routeProtocol: config.routeProtocol)))
      }
    }
    return objects
  }

  /// IPv6's host-wide settings. Forwarding differs from IPv4: a packet is forwarded when
  /// `conf/all/forwarding` is on, whatever the interfaces say (their own `forwarding` only makes them behave
  /// as routers: NA router flag, RAs ignored, proxy_ndp answered), and writing `all` sets every interface's
  /// value. Kernels from 6.17 have `force_forwarding` per input interface, which routed-hook sets on the
  /// bridges and used uplinks only; older kernels (Debian 12's 6.1) need `all`, and the forward chain scoped
  /// to the bridges is what keeps guests' traffic to the allowed paths (doctor reports the rest).
  static func baseline6(config: HostConfig, networks: [GuestNetwork], uplinks: [Uplink], facts: HostFacts)
    -> [KernelObject]
  {
    guard !networks.isEmpty else { return [] }
    var objects: [KernelObject] = []
    func set(_ interface: String, _ key: InterfaceSysctl.Key, _ value: Int) {
      objects.append(.sysctl(InterfaceSysctl(interface: interface, key: key, value: value)))
    }
    if !facts.forceForwarding6 { set("all", .forwarding6, 1) }
    for network in networks {
      guard let gateway6 = network.gateway6 else { continue }
      objects.append(.address(interface: network.bridge, .v6(gateway6), routeProtocol: config.routeProtocol))
      objects.append(
        .address(
          interface: network.bridge, .v6(IPv6Interface.linkLocalGateway), routeProtocol: config.routeProtocol))
      set(network.bridge, .forwarding6, 1)
      if facts.forceForwarding6 { set(network.bridge, .forceForwarding6, 1) }
      // A guest's router advertisement must never configure the host (Calico does the same on workloads).
      set(network.bridge, .acceptRA, 0)
      // No proxy_ndp on the bridge, ever: it would answer the guests' own DAD probes.
    }
    for uplink in uplinks {
      set(uplink.interface, .forwarding6, 1)
      if facts.forceForwarding6 { set(uplink.interface, .forceForwarding6, 1) }
      if uplink.mode == .proxyARP {
        set(uplink.interface, .proxyNDP, 1)
        set(uplink.interface, .proxyDelay6, 0)
      }
      // With forwarding on, accept_ra=1 ignores RAs: an uplink that took its address or default route from
      // them would lose both when their lifetimes end. 2 keeps what the admin had; 0 stays 0.
      if facts.acceptRA[uplink.interface, default: 0] >= 1 { set(uplink.interface, .acceptRA, 2) }
    }
    return objects
  }

  /// The per-guest objects for these NICs: set elements commented with the domain name, /32 and /128
  /// routes, and for IPv6 on proxy-arp uplinks a proxy neighbour entry.
  ///
  /// An arriving guest (an incoming live migration not finished yet) gets no ARP answer and no proxy
  /// neighbour entry on proxy-arp uplinks, since the source still runs it and the LAN must keep reaching it
  /// there; nor does a leaving one (paused here for its migration's switchover, about to run on the
  /// destination). Its /32 and /128 take the claim's metric (a /128's `normal` 0 reads back as the kernel's
  /// 1024, which BIRD's filters take as normal too).
  public static func guestObjects(
    for interfaces: [ManagedInterface], domain: DomainIdentity, config: HostConfig,
    preference: GuestRoutePreference = .normal
  )
    -> [KernelObject]
  {
    let answers = preference.answersOnUplinks
    var objects: [KernelObject] = []
    let comment = ElementComment.of(domain)
    for nic in interfaces {
      guard let network = config.guestNetworks.first(where: { $0.name == nic.network }) else { continue }
      let uplinks = nic.uplinks.compactMap(config.uplink(named:))
      let address6 = network.gateway6 == nil ? nil : nic.address6.map(IPAddress.v6)
      for address in [nic.address.map(IPAddress.v4), address6].compactMap({ $0 }) {
        let v6 = address.isV6
        objects.append(
          .element(guestsSet(network, v6: v6), SetElementKey(address: address), comment: comment))
        for uplink in uplinks {
          let key = SetElementKey(address: address, interface: uplink.interface)
          objects.append(.element(egressSet(v6: v6), key, comment: comment))
          switch uplink.mode {
          case .proxyARP:
            objects.append(.element(ingressSet(v6: v6), key, comment: comment))
            if answers { objects.append(answer(address, on: uplink, config: config, comment: comment)) }
          case .routed:
            objects.append(.element(ingressSet(v6: v6), key, comment: comment))
          case .nat:
            objects.append(.element(masqueradeSet(v6: v6), key, comment: comment))
          }
        }
        objects.append(
          .route(
            OwnedRoute(
              destination: .host(address), device: nic.bridge, routeProtocol: config.routeProtocol,
              metric: preference.metric)))
      }
    }
    return objects
  }

  /// The plan for one action on one domain. `records` are all current records; `facts` the live host's addresses.
  /// `claim` is the migration claim an apply makes (`Handover.startClaim`); nil keeps the record's (reapply).
  public static func plan(
    _ action: HookAction, domain: DomainDescription, config: HostConfig, records: [DomainRecord],
    facts: HostFacts, claim: Handover.Claim? = nil
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
    case .validate, .validateIncoming, .apply, .reapply:
      let interfaces = try GuestResolver.managedInterfaces(of: domain, config: config)
      try GuestResolver.checkConflicts(interfaces, domain: identity, records: records)
      try checkHost(config: config, interfaces: interfaces, facts: facts)
      if action == .validate || action == .validateIncoming || (interfaces.isEmpty && existing == nil) {
        return Plan()
      }
      let claim = claim ?? Handover.Claim(existing)
      let desired = guestObjects(
        for: interfaces, domain: identity, config: config, preference: claim.preference)
      let stale = (existing?.objects ?? []).filter { !desired.contains($0) }
      return Plan(
        baseline: interfaces.isEmpty ? [] : baseline(config: config, facts: facts),
        guestChanges: stale.map(KernelChange.remove) + desired.map(KernelChange.add),
        record: interfaces.isEmpty
          ? nil
          : DomainRecord(
            domain: identity, interfaces: interfaces, objects: desired, preference: claim.preference,
            since: claim.since),
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
    // Delays stay 0; accept_ra goes back to the kernel's default (1). `conf/all/forwarding` for IPv6 stays as
    // it is: writing 0 there would turn IPv6 forwarding off for the whole host.
    let reset = objects.compactMap { object -> KernelObject? in
      guard case .sysctl(var sysctl) = object, sysctl.key != .proxyDelay, sysctl.key != .proxyDelay6,
        sysctl.interface != "all"
      else { return nil }
      sysctl.value = sysctl.key == .acceptRA ? 1 : 0
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

  /// The sets of one family: each IPv4 set has an IPv6 twin (the NAT one in a table of its own).
  static func egressSet(v6: Bool) -> OwnedSet {
    OwnedSet(table: .filter, name: v6 ? SetName.egress6 : SetName.egress, keyType: interfaceKey(v6))
  }
  static func ingressSet(v6: Bool) -> OwnedSet {
    OwnedSet(table: .filter, name: v6 ? SetName.ingress6 : SetName.ingress, keyType: interfaceKey(v6))
  }
  static func masqueradeSet(v6: Bool) -> OwnedSet {
    OwnedSet(
      table: v6 ? .nat6 : .nat, name: v6 ? SetName.masquerade6 : SetName.masquerade, keyType: interfaceKey(v6)
    )
  }
  static func guestsSet(_ network: GuestNetwork, v6: Bool) -> OwnedSet {
    OwnedSet(
      table: .filter, name: v6 ? SetName.guests6(network) : SetName.guests(network),
      keyType: v6 ? .address6 : .address)
  }
  static func interfaceKey(_ v6: Bool) -> SetKeyType { v6 ? .address6AndInterface : .addressAndInterface }
  static func answerSet(_ uplink: Uplink) -> OwnedSet {
    OwnedSet(table: .arpFilter, name: SetName.answer(uplink), keyType: .address)
  }

  /// What makes the host answer for a guest's address on a proxy-arp uplink: an element of the uplink's ARP
  /// answer set for IPv4, a proxy neighbour entry for IPv6.
  static func answer(_ address: IPAddress, on uplink: Uplink, config: HostConfig, comment: String)
    -> KernelObject
  {
    switch address {
    case .v4: .element(answerSet(uplink), SetElementKey(address: address), comment: comment)
    case .v6(let address6):
      .neighbour(
        ProxyNeighbour(address: address6, device: uplink.interface, routeProtocol: config.routeProtocol))
    }
  }

  /// Uplinks some guest network (of `networks`, default all) may use, in config order.
  public static func usedUplinks(_ config: HostConfig, networks: [GuestNetwork]? = nil) -> [Uplink] {
    let used = (networks ?? config.guestNetworks).flatMap(\.uplinks)
    return config.uplinks.filter { used.contains($0.name) }
  }
}
