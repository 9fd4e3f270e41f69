/// `mtu-mismatch-attached` (critical): a port **attached** to a bridge with a smaller MTU than the bridge or
/// its guests. A bridge does not fragment, so frames larger than the port's MTU are cut and fail their
/// checksums on the receiving side (the talk's "network I/O errors on the receiver side").
///
/// `mtu-routed-ok` (info): an uplink the guests are *routed* to has a smaller MTU. That is fine: the host's
/// IP stack fragments for it, which is why the talk recommends large guest MTUs with routing.
enum MTUCheck {
  static let id = "mtu-mismatch-attached"
  static let routedID = "mtu-routed-ok"

  /// A bridge, its MTU, and its ports' MTUs, from the kernel (Linux bridges) or OVSDB.
  struct Bridge {
    var name: String
    var kind: String
    var mtu: Int?
    var ports: [(name: String, mtu: Int, mtuRequest: Int?)]
  }

  /// Findings for every bridge, or for `bridges` only (a domain's, at `prepare`).
  static func findings(_ context: DoctorContext, bridges only: Set<String>?) -> [Finding] {
    var findings: [Finding] = []
    for bridge in bridges(context.snapshot) where only?.contains(bridge.name) ?? true {
      let guestMTU = context.config?.guestNetworks.first { $0.bridge == bridge.name }?.mtu
      let required = max(bridge.mtu ?? 0, guestMTU ?? 0)
      guard required > 0 else { continue }
      let what = (guestMTU ?? 0) > (bridge.mtu ?? 0) ? "the guests' MTU" : "the bridge's MTU"
      for port in bridge.ports where port.mtu < required {
        var evidence = [
          "bridge": bridge.name, "bridge_kind": bridge.kind,
          "bridge_mtu": bridge.mtu.map(String.init) ?? "unknown",
          "port": port.name, "port_mtu": "\(port.mtu)",
        ]
        if let guestMTU { evidence["guest_mtu"] = "\(guestMTU)" }
        if let request = port.mtuRequest { evidence["port_mtu_request"] = "\(request)" }
        let ovs =
          bridge.kind == "ovs" ? " (OVS: ovs-vsctl set interface \(port.name) mtu_request=\(required))" : ""
        findings.append(
          Finding(
            id: id, severity: .critical,
            summary:
              "\(port.name) is attached to \(bridge.name) with MTU \(port.mtu), below \(what) \(required): "
              + "larger frames fail on the receiving side",
            evidence: evidence,
            fix:
              "ip link set \(port.name) mtu \(required)\(ovs), or route to that network instead of attaching it"
          ))
      }
    }
    findings += routedFindings(context, bridges: only)
    return findings
  }

  /// Routed uplinks with a smaller MTU than their guest network: info only.
  static func routedFindings(_ context: DoctorContext, bridges only: Set<String>?) -> [Finding] {
    guard let config = context.config else { return [] }
    var findings: [Finding] = []
    for network in config.guestNetworks where only?.contains(network.bridge) ?? true {
      for uplink in network.uplinks.compactMap(config.uplink(named:)) {
        guard let link = context.snapshot.link(uplink.interface), link.mtu < network.mtu else { continue }
        findings.append(
          Finding(
            id: routedID, severity: .info,
            summary:
              "\(uplink.interface) (MTU \(link.mtu)) is routed from \(network.bridge) (guest MTU \(network.mtu)), "
              + "not attached: the host fragments, so the larger guest MTU is safe",
            evidence: [
              "uplink": uplink.name, "interface": uplink.interface, "interface_mtu": "\(link.mtu)",
              "bridge": network.bridge, "guest_mtu": "\(network.mtu)",
            ],
            fix: "nothing to fix"))
      }
    }
    return findings
  }

  /// Linux bridges (kind `bridge`, ports by master) and OVS bridges (ports from OVSDB, minus the bridge's
  /// own internal port, whose MTU is the bridge's).
  static func bridges(_ snapshot: HostSnapshot) -> [Bridge] {
    var bridges: [Bridge] = []
    for link in snapshot.links.sorted(by: { $0.name < $1.name }) where link.kind == "bridge" {
      let ports = snapshot.links.filter { $0.master == link.name }.sorted { $0.name < $1.name }
      bridges.append(
        Bridge(name: link.name, kind: "linux", mtu: link.mtu, ports: ports.map { ($0.name, $0.mtu, nil) }))
    }
    for bridge in (snapshot.ovs ?? []).sorted(by: { $0.name < $1.name }) {
      let own = bridge.ports.first { $0.name == bridge.name }
      let mtu = snapshot.link(bridge.name)?.mtu ?? own?.mtu
      let ports = bridge.ports.filter { $0.name != bridge.name && $0.type != "patch" }.sorted {
        $0.name < $1.name
      }
      .compactMap { port -> (String, Int, Int?)? in
        guard let mtu = port.mtu ?? snapshot.link(port.name)?.mtu else { return nil }
        return (port.name, mtu, port.mtuRequest)
      }
      bridges.append(Bridge(name: bridge.name, kind: "ovs", mtu: mtu, ports: ports))
    }
    return bridges
  }
}
