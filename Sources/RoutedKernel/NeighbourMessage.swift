import CNetlink
import Glibc
import RoutedCore

/// RTM_NEWNEIGH of an IPv6 proxy entry (NTF_PROXY), decoded: `ndmsg` with NDA_DST and NDA_PROTOCOL.
enum NeighbourMessage {
  static func decode(_ message: NetlinkMessage) -> KernelNeighbour? {
    guard Int(message.type) == RTM_NEWNEIGH else { return nil }
    return message.withPayload(ndmsg.self) { header, info -> KernelNeighbour? in
      guard info.ndm_family == UInt8(AF_INET6), info.ndm_flags & UInt8(NTF_PROXY) != 0 else { return nil }
      let attributes = AttributeTable(
        header, offset: MemoryLayout<ndmsg>.size, maxType: Int32(__NDA_MAX - 1))
      guard let address = attributes.ipv6(Int32(NDA_DST)) else { return nil }
      return KernelNeighbour(
        address: address, index: info.ndm_ifindex,
        routeProtocol: attributes.u8(Int32(NDA_PROTOCOL)) ?? 0)
    }
  }
}
