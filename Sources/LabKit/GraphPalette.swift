import RoutedCore

/// One colour per subnet, as in the talk's figure: segments first, then each host's guest network.
struct GraphPalette {
  static let colors = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  ]

  let topology: Topology

  func segmentColor(_ name: String) -> String {
    let index = topology.segments.firstIndex { $0.name == name } ?? 0
    return Self.colors[index % Self.colors.count]
  }

  func guestNetworkColor(_ host: String) -> String {
    let index = topology.segments.count + (topology.hosts.firstIndex { $0.name == host } ?? 0)
    return Self.colors[index % Self.colors.count]
  }

  /// The guests' subnet of a host as a /24 around its first guest (the talk's 10.136.<LPAR>.0/24).
  func guestSubnet(_ host: Host) -> String? {
    guard let guest = host.guests.first else { return nil }
    return IPv4Network(containing: guest.address.address, prefixLength: 24).description
  }

  func scenarioLabel(_ segment: Segment) -> String {
    var text = segment.label ?? segment.name
    if let scenario = segment.scenario { text = "\(scenario): \(text)" }
    return text
  }
}
