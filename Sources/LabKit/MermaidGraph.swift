/// The topology as a Mermaid flowchart, for READMEs and issue comments.
public enum MermaidGraph {
  /// The flowchart text, ending in a newline.
  public static func render(_ topology: Topology) -> String {
    let palette = GraphPalette(topology: topology)
    var lines = ["flowchart TB"]
    var linkColors: [String] = []
    func id(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "_") }
    for host in topology.hosts {
      let kind = host.switchConfig.kind == .ovs ? "OVS" : "Linux bridge"
      let subnet = palette.guestSubnet(host).map { " · guests \($0)" } ?? ""
      lines.append("  subgraph \(id(host.name))[\"\(host.label ?? host.name)\"]")
      lines.append(
        "    \(id(host.name))_sw[\"\(kind) \(host.switchConfig.bridge) · MTU \(host.switchConfig.mtu)\(subnet) · scenario I\"]"
      )
      for guest in host.guests {
        let domain = guest.domain.map { " · \($0.rawValue)" } ?? ""
        let state = domain + (guest.autostart ? "" : " (not started)")
        lines.append(
          "    \(id(guest.name))([\"\(guest.name)\(state)<br/>\(guest.address)\"]) --- \(id(host.name))_sw")
        linkColors.append(palette.guestNetworkColor(host.name))
      }
      lines.append("  end")
    }
    for segment in topology.segments {
      lines.append(
        "  \(id("seg_" + segment.name))[[\"\(palette.scenarioLabel(segment))<br/>\(segment.subnet) · MTU \(segment.mtu)\"]]"
      )
    }
    for machine in topology.machines {
      lines.append("  \(id(machine.name))[\"\(machine.label ?? machine.name)\"]")
    }
    for node in topology.hosts.map(\.name) + topology.machines.map(\.name) {
      // Uplinks belong to the host (which routes), not to its switch: the edge starts at the host's subgraph.
      let source = id(node)
      for attachment in topology.attachments(of: node) {
        let label = [attachment.name, attachment.address?.description].compactMap { $0 }.joined(
          separator: " ")
        lines.append("  \(source) ---|\"\(label)\"| \(id("seg_" + attachment.segment))")
        linkColors.append(palette.segmentColor(attachment.segment))
      }
    }
    for session in topology.bgpSessions {
      lines.append("  \(id(session.a)) -.-|\"BGP\(session.reflected ? " (RR client)" : "")\"| \(id(session.b))")
      linkColors.append("#6a3d9a")
    }
    for segment in topology.segments {
      lines.append(
        "  style \(id("seg_" + segment.name)) fill:\(palette.segmentColor(segment.name)),color:#fff")
    }
    for host in topology.hosts {
      for guest in host.guests {
        lines.append(
          "  style \(id(guest.name)) stroke:\(palette.guestNetworkColor(host.name)),stroke-width:2px")
      }
    }
    for (index, color) in linkColors.enumerated() {
      lines.append("  linkStyle \(index) stroke:\(color),stroke-width:2px")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
