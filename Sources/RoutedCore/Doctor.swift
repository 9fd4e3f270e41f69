/// `routed-hook doctor`: the talk's pitfalls, looked for on a snapshot of the live host. Pure.
///
/// Without a config it judges the host alone (it must work on a host routed-hook never touched); with one
/// it also knows which interfaces routed-hook manages, which subnets overlap by design, and checks drift.
public enum Doctor {
  /// Every finding, in check order: the critical pitfalls first, then scope, then drift.
  public static func findings(_ snapshot: HostSnapshot, config: HostConfig?) -> [Finding] {
    let context = DoctorContext(snapshot: snapshot, config: config)
    var findings: [Finding] = []
    findings += SharedSubnetCheck.findings(context)
    findings += ARPFilterCheck.findings(context)
    findings += MTUCheck.findings(context, bridges: nil)
    findings += PathCheck.findings(context, addresses: nil)
    findings += ARPAnswerCheck.findings(context)
    findings += GatewayCheck.findings(context)
    findings += MovedGuestCheck.findings(context)
    findings += ScopeCheck.findings(context)
    findings += ForwardFilterCheck.findings(context)
    findings += BridgeNetfilterCheck.findings(context)
    findings += NeighbourProxyCheck.findings(context)
    findings += DADFailedCheck.findings(context)
    findings += GuestPrefixCheck.findings(context)
    findings += RouterAdvertisementCheck.findings(context)
    findings += IPv6ForwardingCheck.findings(context)
    if config != nil { findings += DriftCheck.findings(context) }
    return findings
  }

  /// The checks that concern one domain about to start (the hook's `prepare`): the MTU of its bridges'
  /// ports, and the paths to its addresses once its /32 routes exist. `snapshot` needs links and routes only.
  public static func startFindings(
    _ snapshot: HostSnapshot, config: HostConfig, interfaces: [ManagedInterface]
  )
    -> [Finding]
  {
    var future = snapshot
    // The snapshot's routes are IPv4 (`ip -4`); an IPv6 guest's /128 cannot collide with them.
    for nic in interfaces {
      guard let address = nic.address else { continue }
      let route = HostSnapshot.Route(
        destination: .host(address), devices: [nic.bridge], routeProtocol: "\(config.routeProtocol)")
      let exists = future.routes.contains {
        $0.destination == route.destination && $0.devices == route.devices
      }
      if !exists { future.routes.append(route) }
    }
    let context = DoctorContext(snapshot: future, config: config)
    let mtu = MTUCheck.findings(context, bridges: Set(interfaces.map(\.bridge)))
    let paths = PathCheck.findings(context, addresses: Set(interfaces.compactMap(\.address)))
    return (mtu + paths).filter { $0.severity == .critical }
  }
}

/// What every check needs: the snapshot, the config, and what the config says routed-hook manages.
struct DoctorContext {
  var snapshot: HostSnapshot
  var config: HostConfig?

  init(snapshot: HostSnapshot, config: HostConfig?) {
    self.snapshot = snapshot
    self.config = config
  }

  /// The route protocol that marks routed-hook's routes.
  var routeProtocol: String { "\(config?.routeProtocol ?? HostConfig.defaultRouteProtocol)" }

  /// The config's uplinks that some guest network uses (the baseline touches only these).
  var usedUplinks: [Uplink] {
    guard let config else { return [] }
    let used = Set(config.guestNetworks.flatMap(\.uplinks))
    return config.uplinks.filter { used.contains($0.name) }
  }

  /// The guest bridges of the config.
  var guestBridges: Set<String> { Set(config?.guestNetworks.map(\.bridge) ?? []) }

  /// Interfaces whose `forwarding` routed-hook turns on: guest bridges and used uplinks.
  var managedForwarding: Set<String> { guestBridges.union(usedUplinks.map(\.interface)) }

  /// Interfaces whose `proxy_arp` routed-hook turns on: guest bridges and used proxy-arp uplinks.
  var managedProxyARP: Set<String> {
    guestBridges.union(usedUplinks.filter { $0.mode == .proxyARP }.map(\.interface))
  }

  /// Links that proxy ARP: ARP-capable, with proxy_arp on per interface or through `conf/all`.
  var proxyingLinks: [HostSnapshot.Link] {
    snapshot.links.filter { !$0.isNoARP && snapshot.sysctls.proxyARP($0.name) }.sorted { $0.name < $1.name }
  }

  /// Evidence for proxy_arp on `name`: its own sysctl and `conf/all`.
  func proxyARPEvidence(_ name: String) -> [String: String] {
    [
      "net.ipv4.conf.\(name).proxy_arp": "\(snapshot.sysctls.interfaces[name]?.proxyARP ?? 0)",
      "net.ipv4.conf.all.proxy_arp": "\(snapshot.sysctls.all.proxyARP)",
    ]
  }

  /// The sysctl to turn off to stop proxy ARP on `name` (the interface's own, or `all` when that is the cause).
  func proxyARPSwitch(_ name: String) -> String {
    snapshot.sysctls.interfaces[name]?.proxyARP ?? 0 != 0
      ? "net.ipv4.conf.\(name).proxy_arp=0" : "net.ipv4.conf.all.proxy_arp=0"
  }
}

extension Dictionary where Key == String, Value == String {
  /// Merges `other` in, keeping this dictionary's values on clashes.
  func adding(_ other: [String: String]) -> [String: String] { merging(other) { mine, _ in mine } }
}

extension Array where Element == IPv4Interface {
  /// `10.0.0.1/8, 10.1.0.1/16`, or `none`.
  var listText: String { isEmpty ? "none" : map(\.description).joined(separator: ", ") }
}
