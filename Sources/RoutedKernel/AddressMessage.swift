import CNetlink
import Glibc
import RoutedCore

/// RTM_NEWADDR of an IPv4 address, decoded: `ifaddrmsg` with IFA_LOCAL, IFA_PROTO and IFA_LABEL.
enum AddressMessage {
  static func decode(_ message: NetlinkMessage) -> KernelAddress? {
    guard Int(message.type) == RTM_NEWADDR else { return nil }
    return message.withPayload(ifaddrmsg.self) { header, info -> KernelAddress? in
      guard info.ifa_family == UInt8(AF_INET) else { return nil }
      let attributes = AttributeTable(
        header, offset: MemoryLayout<ifaddrmsg>.size, maxType: Int32(__IFA_MAX - 1))
      guard let local = attributes.ipv4(Int32(IFA_LOCAL)) else { return nil }
      return KernelAddress(
        index: Int32(bitPattern: info.ifa_index),
        address: IPv4Interface(address: local, prefixLength: Int(info.ifa_prefixlen)),
        routeProtocol: attributes.u8(Int32(IFA_PROTO)) ?? 0, label: attributes.string(Int32(IFA_LABEL)))
    }
  }
}
