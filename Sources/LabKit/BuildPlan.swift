/// A veth pair whose two ends are created straight inside their namespaces, so no lab link ever sits in root.
public struct VethPair: Equatable, Sendable {
  public var name: String
  public var namespace: String
  public var peer: String
  public var peerNamespace: String

  /// The `ip -batch` line that creates the pair.
  public var batchLine: String {
    "link add \(name) netns \(namespace) type veth peer name \(peer) netns \(peerNamespace)"
  }
}

/// The pure part of `up`: which namespaces, links, addresses and routes to make, as `ip` batch text and scripts.
public struct BuildPlan: Sendable {
  public let topology: Topology
  public let names: LabNames

  /// IPv6 is off in every namespace of an IPv4-only lab: its autoconfiguration chatter would disturb the path
  /// counters. A lab with IPv6 addresses has it on everywhere, as a real host does.
  var sysctlLine: String {
    let off = topology.usesIPv6 ? 0 : 1
    return "sysctl -qw net.ipv6.conf.all.disable_ipv6=\(off) net.ipv6.conf.default.disable_ipv6=\(off)"
  }

  /// Bridge netfilter for a host's namespace, all three families as br_netfilter's defaults have them. Off where
  /// br_netfilter is absent needs nothing: then no bridged frame reaches netfilter anyway.
  static func bridgeNetfilterLine(_ on: Bool) -> String {
    let keys = ["iptables", "ip6tables", "arptables"].map { "net.bridge.bridge-nf-call-\($0)=\(on ? 1 : 0)" }
    let line = "sysctl -qw \(keys.joined(separator: " "))"
    return on ? line : "if [ -d /proc/sys/net/bridge ]; then \(line); fi"
  }

  /// One namespace per node, in build order.
  public var namespaces: [String] { topology.builtNodeNames.map(names.namespace) }

  /// Every node interface on a segment: node end named as declared, segment end named after the node.
  public var segmentLinks: [VethPair] {
    nodesWithAttachments.flatMap { node, attachments in
      attachments.map { attachment in
        VethPair(
          name: attachment.name, namespace: names.namespace(node),
          peer: Self.segmentEnd(node: node, attachment: attachment, of: attachments),
          peerNamespace: names.namespace(attachment.segment))
      }
    }
  }

  /// The segment's end of a node's link: the node's name, or `node.N` for its N-th interface on one segment
  /// (the talk's first pitfall needs a host with two cards in one LAN).
  static func segmentEnd(node: String, attachment: Attachment, of attachments: [Attachment]) -> String {
    let sameSegment = attachments.filter { $0.segment == attachment.segment }
    let position = sameSegment.firstIndex(of: attachment) ?? 0
    return position == 0 ? node : "\(node).\(position + 1)"
  }

  private var nodesWithAttachments: [(String, [Attachment])] {
    topology.hosts.map { ($0.name, $0.interfaces) } + topology.machines.map { ($0.name, $0.interfaces) }
  }

  /// The shell script that configures one node's namespace once its links exist.
  public func script(for node: String) -> String {
    // The altname on lo marks the namespace itself as the lab's, even one with no other link (a stopped guest).
    var lines = ["link set lo up", altnameLine(node: node, interface: "lo")]
    var preamble = [sysctlLine]
    if let segment = topology.segment(named: node) {
      lines += segmentLines(segment)
    } else if let host = topology.host(named: node) {
      lines += interfaceLines(node: node, attachments: host.interfaces)
      if host.switchConfig.kind == .linuxBridge {
        let bridge = host.switchConfig.bridge
        if let bridgeNetfilter = host.switchConfig.bridgeNetfilter {
          preamble.append(Self.bridgeNetfilterLine(bridgeNetfilter))
        }
        lines.append("link add \(bridge) type bridge stp_state 0")
        lines.append(altnameLine(node: node, interface: bridge))
        lines.append("link set \(bridge) mtu \(host.switchConfig.mtu)")
      }
      lines += host.routes.map { routeLine($0, defaultDevice: nil) }
    } else if let machine = topology.machine(named: node) {
      lines += interfaceLines(node: node, attachments: machine.interfaces)
      lines += machine.routes.map { routeLine($0, defaultDevice: machine.interfaces.first?.name) }
    }
    // Frames on a segment carry complete checksums, as on a real wire: a checksum left to offloading would
    // reach a userspace OVS port (a card attached by hand) unfinished, and the guest behind it would drop it.
    let offloads = topology.attachments(of: node).map { "ethtool -K \($0.name) tx off >/dev/null" }
    return shellScript(lines, preamble: preamble, after: offloads)
  }

  private func segmentLines(_ segment: Segment) -> [String] {
    var lines = [
      "link add \(segment.name) type bridge stp_state 0",
      altnameLine(node: segment.name, interface: segment.name),
    ]
    for (node, attachments) in nodesWithAttachments {
      for attachment in attachments where attachment.segment == segment.name {
        let end = Self.segmentEnd(node: node, attachment: attachment, of: attachments)
        lines.append(altnameLine(node: segment.name, interface: end))
        lines.append("link set \(end) mtu \(attachment.segmentMtu ?? segment.mtu) master \(segment.name) up")
      }
    }
    // Set last: a bridge's MTU otherwise follows its smallest port.
    lines.append("link set \(segment.name) mtu \(segment.mtu) up")
    return lines
  }

  private func interfaceLines(node: String, attachments: [Attachment]) -> [String] {
    attachments.flatMap { attachment -> [String] in
      let mtu = attachment.mtu ?? topology.segment(named: attachment.segment)?.mtu ?? 1500
      let arp = topology.segment(named: attachment.segment)?.arp ?? true
      var lines = [
        altnameLine(node: node, interface: attachment.name),
        "link set \(attachment.name) mtu \(mtu)\(arp ? "" : " arp off") up",
      ]
      if let address = attachment.address { lines.append("addr add \(address) dev \(attachment.name)") }
      if let address6 = attachment.address6 {
        lines.append("addr add \(address6) dev \(attachment.name) nodad")
      }
      return lines
    }
  }

  /// The `ip -batch` lines that make one node interface again after it was deleted, as `up` made it: the veth
  /// pair, the segment end on its bridge, the node end's MTU, address and altname, and the node's routes (deleted
  /// with the link). Nil when the node has no such interface on a segment.
  public func recreateLines(node: String, interface: String) -> (
    pair: String, segment: String, segmentSide: [String], nodeSide: [String]
  )? {
    guard let (_, attachments) = nodesWithAttachments.first(where: { $0.0 == node }),
      let attachment = attachments.first(where: { $0.name == interface }),
      let pair = segmentLinks.first(where: { $0.name == interface && $0.namespace == names.namespace(node) }),
      let segment = topology.segment(named: attachment.segment)
    else { return nil }
    let end = Self.segmentEnd(node: node, attachment: attachment, of: attachments)
    let segmentSide = [
      altnameLine(node: segment.name, interface: end),
      "link set \(end) mtu \(attachment.segmentMtu ?? segment.mtu) master \(segment.name) up",
    ]
    let routes = (topology.host(named: node)?.routes ?? topology.machine(named: node)?.routes ?? [])
      .map { routeLine($0, defaultDevice: nil).replacingOccurrences(of: "route add ", with: "route replace ") }
    return (pair.batchLine, segment.name, segmentSide, interfaceLines(node: node, attachments: [attachment]) + routes)
  }

  func altnameLine(node: String, interface: String) -> String {
    "link property add dev \(interface) altname \(names.altname(node: node, interface: interface))"
  }

  func routeLine(_ route: Route, defaultDevice: String?) -> String {
    var line = "route add \(route.to.map(\.description) ?? "default")"
    if let via = route.via { line += " via \(via)" }
    if let device = route.device ?? (route.via == nil ? defaultDevice : nil) { line += " dev \(device)" }
    return line
  }

  private func shellScript(_ batch: [String], preamble: [String], after: [String] = []) -> String {
    (["set -e"] + preamble + ["ip -b - <<'EOF'"] + batch + ["EOF"] + after + [""]).joined(separator: "\n")
  }

  /// For each layer-3 (NOARP) segment: `ip -batch` lines per node that make permanent neighbour entries for
  /// every other address on the segment, given each node interface's MAC. A NOARP device would otherwise send
  /// to its own MAC; real layer-3 HiperSockets resolve next hops in firmware, without ARP.
  public func noARPNeighbourLines(mac: (String, String) -> String?) -> [String: [String]] {
    var lines: [String: [String]] = [:]
    for segment in topology.segments where !segment.arp {
      let ends = nodesWithAttachments.flatMap { node, attachments in
        attachments.filter { $0.segment == segment.name }.map { (node, $0) }
      }
      for (node, attachment) in ends {
        for (other, otherAttachment) in ends where other != node {
          guard let address = otherAttachment.address, let lladdr = mac(other, otherAttachment.name) else {
            continue
          }
          lines[node, default: []].append(
            "neigh replace \(address.address) lladdr \(lladdr) dev \(attachment.name) nud permanent")
        }
      }
    }
    return lines
  }

  // MARK: Guest NICs

  /// The tap (host side, in the host's namespace) and the guest's NIC as one veth pair.
  public func nicLink(_ guest: Guest) -> VethPair {
    VethPair(
      name: guest.tap, namespace: names.namespace(guest.host), peer: GuestNIC.name,
      peerNamespace: names.namespace(guest.name))
  }

  /// `ip -batch` lines for the tap side of guest NICs in their host's namespace.
  public func tapLines(_ guest: Guest, switchConfig: Switch) -> [String] {
    var lines = [
      altnameLine(node: guest.host, interface: guest.tap),
      "link set \(guest.tap) address \(guest.mac.tapSide) mtu \(guest.portMtu ?? guest.mtu) up",
    ]
    if switchConfig.kind == .linuxBridge {
      lines.append("link set \(guest.tap) master \(switchConfig.bridge)")
    }
    return lines
  }

  /// The script that configures the guest's side of its NIC, as the guest OS would at boot. `migrated`: the
  /// NIC that stands in for a live-migrated one, whose addresses were in use before the move (QEMU carries the
  /// guest's state over, so it runs no DAD again).
  public func guestScript(_ guest: Guest, switchKind: SwitchKind, migrated: Bool = false) -> String {
    let nic = GuestNIC.name
    var lines = [
      altnameLine(node: guest.name, interface: nic),
      "link set \(nic) address \(guest.mac) mtu \(guest.mtu) up",
      "addr add \(guest.address) dev \(nic)",
    ]
    if let gateway = guest.gateway { lines.append("route add default via \(gateway) dev \(nic)") }
    lines += guest.routes.map { routeLine($0, defaultDevice: nic) }
    var after: [String] = []
    if let address6 = guest.address6, migrated {
      lines.append("addr add \(address6) dev \(nic) nodad")
      if let gateway6 = guest.gateway6 { lines.append("route add default via \(gateway6) dev \(nic)") }
    } else if let address6 = guest.address6 {
      // With DAD, as a guest OS adds it: the probe (source ::) must get through the host's anti-spoofing.
      // A guest OS uses the address once DAD is done, so the start waits for it (about 1 s) and fails
      // when someone on the link answered for it.
      lines.append("addr add \(address6) dev \(nic)")
      if let gateway6 = guest.gateway6 { lines.append("route add default via \(gateway6) dev \(nic)") }
      after = [
        "for _ in $(seq 50); do [ -z \"$(ip -6 address show dev \(nic) tentative)\" ] && break; sleep 0.1; done",
        "if [ -n \"$(ip -6 address show dev \(nic) dadfailed)\" ]; then echo \"\(address6.address): DAD failed\" >&2; exit 1; fi",
      ]
    }
    // The userspace OVS datapath drops the GSO frames a veth with tx offloads hands it ("Too big").
    let preamble = switchKind == .ovs ? ["ethtool -K \(nic) tx off >/dev/null"] : []
    return shellScript(lines, preamble: preamble, after: after)
  }

  /// The ovs-vsctl arguments that add guest taps as ports, with the external ids libvirt sets.
  public func ovsPortArguments(_ guests: [Guest], bridge: String) -> [String] {
    guests.flatMap { guest -> [String] in
      let uuid = guest.uuid(lab: topology.lab)
      return [
        "--", "--may-exist", "add-port", bridge, guest.tap,
        "--", "set", "interface", guest.tap, "mtu_request=\(guest.portMtu ?? guest.mtu)",
        "external_ids:attached-mac=\"\(guest.mac)\"", "external_ids:iface-id=\"\(uuid)\"",
        "external_ids:vm-id=\"\(uuid)\"", "external_ids:iface-status=active",
      ]
    }
  }
}
