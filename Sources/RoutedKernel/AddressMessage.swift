import CNetlink
import Glibc
import RoutedCore

/// RTM_NEWADDR (a dump's entry) or RTM_DELADDR (a notification), decoded: `ifaddrmsg` with IFA_LOCAL (IPv4) or IFA_ADDRESS (IPv6, which has no IFA_LOCAL
/// without a peer), IFA_PROTO, IFA_LABEL and IFA_FLAGS (the 32-bit flags; the header holds the low 8).
enum AddressMessage {
  static func decode(_ message: NetlinkMessage) -> KernelAddress? {
    guard Int(message.type) == RTM_NEWADDR || Int(message.type) == RTM_DELADDR else { return nil }
    return message.withPayload(ifaddrmsg.self) { header, info -> KernelAddress? in
      let attributes = AttributeTable(
        header, offset: MemoryLayout<ifaddrmsg>.size, maxType: Int32(__IFA_MAX - 1))
      let address: IPInterface
      switch Int32(info.ifa_family) {
      case AF_INET:
        guard let local = attributes.ipv4(Int32(IFA_LOCAL)) else { return nil }
        address = .v4(IPv4Interface(address: local, prefixLength: Int(info.ifa_prefixlen)))
      case AF_INET6:
        guard let local = attributes.ipv6(Int32(IFA_LOCAL)) ?? attributes.ipv6(Int32(IFA_ADDRESS)) else {
          return nil
        }
        address = .v6(IPv6Interface(address: local, prefixLength: Int(info.ifa_prefixlen)))
      default:
        return nil
      }
      return KernelAddress(
        index: Int32(bitPattern: info.ifa_index), address: address,
        routeProtocol: attributes.u8(Int32(IFA_PROTO)) ?? 0, label: attributes.string(Int32(IFA_LABEL)),
        flags: attributes.u32(Int32(IFA_FLAGS)) ?? UInt32(info.ifa_flags))
    }
  }
}
