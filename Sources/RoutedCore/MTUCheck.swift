/// `mtu-mismatch-attached` (critical): a port **attached** to a bridge with a smaller MTU than the bridge, its
/// guests or another port of it. A bridge does not fragment, so frames larger than the port's MTU die there:
/// the sending side drops them, or they are cut and fail their checksums on the receiving side (the talk's
/// "network I/O errors on the receiver side"). Ports that disagree are the pitfall even with no config: a Linux
/// bridge whose MTU was never set takes its smallest port's, so a card at 1500 next to guest ports at 9000
/// makes the bridge 1500 and only the ports show the mismatch.
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
      let largest = bridge.ports.max { $0.mtu < $1.mtu }
      let required = max(bridge.mtu ?? 0, guestMTU ?? 0, largest?.mtu ?? 0)
      guard required > 0 else { continue }
      let what: String
      if let guestMTU, guestMTU == required, guestMTU > bridge.mtu ?? 0 {
        what = "the guests' MTU"
      } else if bridge.mtu ?? 0 == required {
        what = "the bridge's MTU"
      } else {
        what = "\(largest?.name ?? "another port")'s MTU"
      }
      let listing = bridge.ports.map { "\($0.name) \($0.mtu)" }.joined(separator: ", ")
      for port in bridge.ports where port.mtu < required {
        // Who sends what the port cannot take: the host through the bridge, larger ports, else the guests to come.
        var senders: [String] = []
        if let mtu = bridge.mtu, mtu > port.mtu { senders.append("\(bridge.name) itself (MTU \(mtu))") }
        senders += bridge.ports.filter { $0.mtu > port.mtu }.map { "\($0.name) (MTU \($0.mtu))" }
        if senders.isEmpty, let guestMTU { senders.append("the guests (MTU \(guestMTU))") }
        var evidence = [
          "bridge": bridge.name, "bridge_kind": bridge.kind,
          "bridge_mtu": bridge.mtu.map(String.init) ?? "unknown",
          "port": port.name, "port_mtu": "\(port.mtu)", "ports": listing,
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
              + "frames over \(port.mtu) bytes from \(senders.joined(separator: ", ")) die at \(port.name) "
              + "(a bridge cannot fragment)",
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
