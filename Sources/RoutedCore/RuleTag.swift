extension Rule {
  /// The userdata comment that marks a rule as ours and says which rule of the plan it is.
  public var tag: String {
    switch self {
    case .dropSpoofed(let bridge, let set): "rh:spoof:\(bridge):\(set)"
    case .acceptBridged(let bridge): "rh:bridged:\(bridge)"
    case .acceptEgress(let bridge, let set): "rh:egress:\(bridge):\(set)"
    case .acceptIngress(let bridge, let set): "rh:ingress:\(bridge):\(set)"
    case .acceptReplies(let bridge): "rh:replies:\(bridge)"
    case .dropFromBridge(let bridge): "rh:from:\(bridge)"
    case .dropToBridge(let bridge): "rh:to:\(bridge)"
    case .masquerade(let set): "rh:masquerade:\(set)"
    case .dropARPRequests(let interface, let set): "rh:arp:\(interface):\(set)"
    case .dropSpoofed6(let bridge, let set): "rh:spoof6:\(bridge):\(set)"
    case .acceptEgress6(let bridge, let set): "rh:egress6:\(bridge):\(set)"
    case .acceptIngress6(let bridge, let set): "rh:ingress6:\(bridge):\(set)"
    case .masquerade6(let set): "rh:masquerade6:\(set)"
    }
  }

  /// Whether a rule comment is one of our tags.
  public static func isTag(_ comment: String) -> Bool { comment.hasPrefix("rh:") }
}
