/// One kernel notification the watch daemon reads, decoded (RoutedKernel's `KernelNotificationDecoder`):
/// only the kinds that can say something about the records. Additions of addresses and every nf_tables
/// message that deletes nothing decode to nil, as nothing of ours can go away with them.
public enum KernelNotification: Sendable, Equatable {
  /// RTM_NEWROUTE or RTM_DELROUTE of an IPv4 or IPv6 route.
  case route(RouteEvent)
  /// RTM_DELADDR: the address and its interface's index (an IPv6 one carries no name).
  case addressRemoved(KernelAddress)
  /// RTM_NEWLINK or RTM_DELLINK, by IFLA_IFNAME.
  case link(name: String, removed: Bool)
  /// NFT_MSG_DELTABLE, DELCHAIN, DELRULE, DELSET or DELSETELEM.
  case nftablesDeletion(NftDeletion)
}

/// A route added, replaced or deleted, as the notification's `rtmsg`, flags and RTA_DST say.
public struct RouteEvent: Sendable, Equatable {
  /// RTM_DELROUTE (else RTM_NEWROUTE).
  public var removed: Bool
  /// NLM_F_REPLACE on an RTM_NEWROUTE: this route took the place of another, which may have been ours.
  public var replacing: Bool
  /// rtm_protocol.
  public var routeProtocol: UInt8
  /// RTA_DST as sent (nil for a default route, which has none).
  public var destination: IPAddress?
  /// rtm_dst_len.
  public var prefixLength: Int

  public init(
    removed: Bool, replacing: Bool, routeProtocol: UInt8, destination: IPAddress?, prefixLength: Int
  ) {
    self.removed = removed
    self.replacing = replacing
    self.routeProtocol = routeProtocol
    self.destination = destination
    self.prefixLength = prefixLength
  }
}

/// An nf_tables object deleted, in the table the message names.
public struct NftDeletion: Sendable, Equatable {
  public enum Kind: Sendable, Equatable, CaseIterable {
    case table, chain, rule, set, element
  }

  public var kind: Kind
  /// The table's name (every DEL* message's first attribute, NFTA_*_TABLE), whatever its family.
  public var table: String
  /// DELSETELEM: the first element's key (NFTA_SET_ELEM_KEY's NFTA_DATA_VALUE), nil when it has none.
  public var elementKey: [UInt8]?

  public init(kind: Kind, table: String, elementKey: [UInt8]? = nil) {
    self.kind = kind
    self.table = table
    self.elementKey = elementKey
  }
}
