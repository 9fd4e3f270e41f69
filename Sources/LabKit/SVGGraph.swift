/// The topology as a standalone SVG: guests on top, hosts with their switch, one coloured bar per segment,
/// outside machines below; every subnet in its own colour as in the talk's figure.
public enum SVGGraph {
  static let hostWidth = 340
  static let margin = 30
  static let guestRowY = 60
  static let hostY = 160
  static let hostHeight = 80
  static let firstSegmentY = 330
  static let segmentGap = 60
  /// Left column for the segments' names, so they never cross a link.
  static let gutter = 230

  /// The SVG document, ending in a newline.
  public static func render(_ topology: Topology) -> String {
    let palette = GraphPalette(topology: topology)
    let columns = max(topology.hosts.count, 1)
    // Extra room on the right for the last host's interface labels.
    let width = max(gutter + columns * (hostWidth + margin) + 140, 900)
    let segmentY = Dictionary(
      uniqueKeysWithValues: topology.segments.enumerated().map { ($1.name, firstSegmentY + $0 * segmentGap) })
    let machineY = firstSegmentY + topology.segments.count * segmentGap + 20
    let sessions = topology.bgpSessions
    let sessionY = machineY + 150 + (sessions.isEmpty ? 0 : 40 + 14 * topology.hosts.count)
    let height = sessionY + (sessions.isEmpty ? 0 : 60)
    var body: [String] = []
    body.append(
      text(
        x: margin, y: 28, "routed-lab \(topology.lab): each guest connected to four subnets", size: 18,
        bold: true))

    // Segments: full-width bars, drawn first so the links sit on top.
    for segment in topology.segments {
      let y = segmentY[segment.name]!
      let color = palette.segmentColor(segment.name)
      body.append(
        "<rect x='\(gutter)' y='\(y - 4)' width='\(width - gutter - margin)' height='8' rx='4' fill='\(color)'/>"
      )
      body.append(
        text(x: margin, y: y - 2, palette.scenarioLabel(segment), size: 13, color: color, bold: true))
      body.append(
        text(x: margin, y: y + 14, "\(segment.subnet) · MTU \(segment.mtu)", size: 12, color: color))
    }

    for (column, host) in topology.hosts.enumerated() {
      let x = gutter + column * (hostWidth + margin)
      let guestColor = palette.guestNetworkColor(host.name)
      // Links from the host down to its segments.
      for (index, attachment) in host.interfaces.enumerated() {
        guard let y = segmentY[attachment.segment] else { continue }
        let linkX = x + 30 + index * ((hostWidth - 60) / max(host.interfaces.count - 1, 1))
        let color = palette.segmentColor(attachment.segment)
        body.append(line(linkX, hostY + hostHeight, linkX, y, color: color))
        body.append("<circle cx='\(linkX)' cy='\(y)' r='5' fill='\(color)'/>")
        let label = [attachment.name, attachment.address?.description].compactMap { $0 }.joined(
          separator: " ")
        body.append(
          text(x: linkX + 4, y: hostY + hostHeight + 18 + index * 16, label, size: 11, color: color))
      }
      body.append(
        "<rect x='\(x)' y='\(hostY)' width='\(hostWidth)' height='\(hostHeight)' rx='8' fill='#f4f4f4' stroke='#333'/>"
      )
      body.append(text(x: x + 10, y: hostY + 20, host.label ?? host.name, bold: true))
      let kind = host.switchConfig.kind == .ovs ? "Open vSwitch" : "Linux bridge"
      let switchX = x + 10
      body.append(
        "<rect x='\(switchX)' y='\(hostY + 30)' width='\(hostWidth - 20)' height='40' rx='6' fill='white' stroke='\(guestColor)' stroke-width='2'/>"
      )
      let subnet = palette.guestSubnet(host).map { " · guests \($0)" } ?? ""
      body.append(
        text(
          x: switchX + 8, y: hostY + 47, "\(kind) \(host.switchConfig.bridge) · MTU \(host.switchConfig.mtu)",
          size: 12))
      body.append(
        text(x: switchX + 8, y: hostY + 63, "I: guest network\(subnet)", size: 12, color: guestColor))
      // Guests above their switch.
      let slot = min(hostWidth / max(host.guests.count, 1), 150)
      let guestsLeft = x + (hostWidth - slot * host.guests.count) / 2
      for (index, guest) in host.guests.enumerated() {
        let guestX = guestsLeft + index * slot + 6
        let boxWidth = slot - 12
        let centre = guestX + boxWidth / 2
        body.append(
          line(centre, guestRowY + 54, centre, hostY + 30, color: guestColor, dashed: !guest.autostart))
        body.append(
          "<rect x='\(guestX)' y='\(guestRowY)' width='\(boxWidth)' height='54' rx='6' fill='white' stroke='\(guestColor)' stroke-width='2'\(guest.autostart ? "" : " stroke-dasharray='4 3'")/>"
        )
        body.append(text(x: centre, y: guestRowY + 18, guest.name, size: 12, anchor: "middle", bold: true))
        body.append(text(x: centre, y: guestRowY + 33, guest.address.description, size: 11, anchor: "middle"))
        let notes = [guest.domain.map { "libvirt \($0.rawValue)" }, guest.autostart ? nil : "not started"]
          .compactMap { $0 }
        if !notes.isEmpty {
          body.append(
            text(
              x: centre, y: guestRowY + 48, notes.joined(separator: ", "), size: 10, anchor: "middle",
              color: "#777"))
        }
      }
    }

    // Outside machines in a row below the segments, each linked up to its segments.
    let machineSlot = (width - gutter - margin) / max(topology.machines.count, 1)
    for (index, machine) in topology.machines.enumerated() {
      let x = gutter + index * machineSlot + 10
      let boxWidth = min(machineSlot - 20, 240)
      let centre = x + boxWidth / 2
      for attachment in machine.interfaces {
        guard let y = segmentY[attachment.segment] else { continue }
        let color = palette.segmentColor(attachment.segment)
        body.append(line(centre, y, centre, machineY, color: color))
        body.append("<circle cx='\(centre)' cy='\(y)' r='5' fill='\(color)'/>")
      }
      body.append(
        "<rect x='\(x)' y='\(machineY)' width='\(boxWidth)' height='56' rx='8' fill='#f4f4f4' stroke='#333'/>"
      )
      body.append(
        text(
          x: centre, y: machineY + 20, machine.label ?? machine.name, size: 13, anchor: "middle", bold: true))
      let addresses = machine.interfaces.compactMap { $0.address?.description }.joined(separator: ", ")
      body.append(
        text(x: centre, y: machineY + 40, "\(machine.name) · \(addresses)", size: 11, anchor: "middle"))
    }
    // BGP sessions as an arc diagram under everything: one BIRD per host, in the hosts' columns.
    if !sessions.isEmpty {
      let color = "#6a3d9a"
      let reflectors = topology.routeReflectors
      func centre(_ host: String) -> Int {
        gutter + (topology.hosts.firstIndex { $0.name == host } ?? 0) * (hostWidth + margin) + hostWidth / 2
      }
      body.append(text(x: margin, y: sessionY - 2, "BGP sessions (BIRD)", size: 13, color: color, bold: true))
      body.append(
        text(
          x: margin, y: sessionY + 14, reflectors.isEmpty ? "iBGP full mesh" : "dashed: route-reflector client",
          size: 12, color: color))
      for session in sessions {
        let (x1, x2) = (centre(session.a), centre(session.b))
        let columns = abs(x2 - x1) / (hostWidth + margin)
        let rise = 24 + 14 * columns
        body.append(
          "<path d='M \(x1) \(sessionY) Q \((x1 + x2) / 2) \(sessionY - 2 * rise) \(x2) \(sessionY)' fill='none' stroke='\(color)' stroke-width='2'\(session.reflected ? " stroke-dasharray='6 4'" : "")/>"
        )
      }
      for host in topology.hosts where host.bgp != nil {
        let x = centre(host.name)
        body.append("<circle cx='\(x)' cy='\(sessionY)' r='7' fill='\(color)'/>")
        let role = reflectors.contains(host.name) ? " (route reflector)" : ""
        body.append(text(x: x, y: sessionY + 24, "BIRD \(host.name)\(role)", size: 12, anchor: "middle", color: color))
      }
    }
    body.append(
      text(
        x: margin, y: height - 20,
        "I: guests on one switch · II: OSA into the host's subnet (proxy ARP) · III: HiperSockets, routed · IV: OSA into a foreign subnet (NAT)",
        size: 11, color: "#555"))
    return
      ([
        "<svg xmlns='http://www.w3.org/2000/svg' width='\(width)' height='\(height)' viewBox='0 0 \(width) \(height)' font-family='Helvetica, Arial, sans-serif'>",
        "<rect width='100%' height='100%' fill='white'/>",
      ] + body + ["</svg>", ""]).joined(separator: "\n")
  }

  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  static func text(
    x: Int, y: Int, _ content: String, size: Int = 14, anchor: String = "start", color: String = "#222",
    bold: Bool = false
  ) -> String {
    "<text x='\(x)' y='\(y)' font-size='\(size)' text-anchor='\(anchor)' fill='\(color)'\(bold ? " font-weight='bold'" : "")>\(escape(content))</text>"
  }

  static func line(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int, color: String, dashed: Bool = false) -> String
  {
    "<line x1='\(x1)' y1='\(y1)' x2='\(x2)' y2='\(y2)' stroke='\(color)' stroke-width='2'\(dashed ? " stroke-dasharray='4 3'" : "")/>"
  }
}
