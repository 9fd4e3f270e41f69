import CNetlink
import Glibc
import RoutedCore

/// The watch daemon's notification datagrams (rtnetlink's link, address and route groups, nfnetlink's
/// NFNLGRP_NFTABLES), decoded by the same decoders as every reply: `NetlinkMessage.split`, then
/// `RouteMessage`, `AddressMessage`, `LinkMessage` or `NftReply.deletion` by message type.
public enum KernelNotificationDecoder {
  /// Every notification in one datagram that can say something about the records, in order.
  public static func notifications(in datagram: UnsafeRawBufferPointer) -> [KernelNotification] {
    NetlinkMessage.split(datagram).compactMap(notification)
  }

  static func notification(_ message: NetlinkMessage) -> KernelNotification? {
    switch Int32(message.type) {
    case Int32(RTM_NEWROUTE), Int32(RTM_DELROUTE):
      return RouteMessage(message).map {
        .route(
          RouteEvent(
            removed: $0.removed, replacing: $0.replacing, routeProtocol: $0.route.routeProtocol,
            destination: $0.destinationAddress, prefixLength: $0.route.destination.prefixLength))
      }
    case Int32(RTM_DELADDR):
      return AddressMessage.decode(message).map(KernelNotification.addressRemoved)
    case Int32(RTM_NEWLINK), Int32(RTM_DELLINK):
      return LinkMessage(message).map { .link(name: $0.name, removed: $0.removed) }
    default:
      return NftReply.deletion(message).map(KernelNotification.nftablesDeletion)
    }
  }
}
