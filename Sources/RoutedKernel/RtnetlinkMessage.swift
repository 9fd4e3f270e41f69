import CNetlink
import Glibc
import RoutedCore

/// Builders for the rtnetlink requests routed-hook sends: pure functions of their arguments, so the
/// golden tests can compare them with what `ip` sends for the same object.
enum RtnetlinkMessage {
  static let request = UInt16(NLM_F_REQUEST)
  static let acknowledged = UInt16(NLM_F_REQUEST | NLM_F_ACK)
  static let dump = UInt16(NLM_F_REQUEST | NLM_F_DUMP)

  /// Builds one message with libmnl into a scratch buffer and returns exactly its bytes.
  static func build(
    type: Int, flags: UInt16, sequence: UInt32, _ body: (UnsafeMutablePointer<nlmsghdr>) -> Void
  ) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let length = buffer.withUnsafeMutableBytes { raw -> Int in
      let header = mnl_nlmsg_put_header(raw.baseAddress)!
      header.pointee.nlmsg_type = UInt16(type)
      header.pointee.nlmsg_flags = flags
      header.pointee.nlmsg_seq = sequence
      body(header)
      return Int(header.pointee.nlmsg_len)
    }
    return Array(buffer[0..<length])
  }

  private static func extraHeader<T>(_ header: UnsafeMutablePointer<nlmsghdr>, _: T.Type)
    -> UnsafeMutablePointer<T>
  {
    mnl_nlmsg_put_extra_header(header, MemoryLayout<T>.size).bindMemory(to: T.self, capacity: 1)
  }

  private static func putAddress(
    _ header: UnsafeMutablePointer<nlmsghdr>, _ type: Int32, _ address: IPAddress
  ) {
    let bytes = address.bytes
    bytes.withUnsafeBytes { mnl_attr_put(header, UInt16(type), bytes.count, $0.baseAddress) }
  }

  private static func family(_ address: IPAddress) -> UInt8 { UInt8(address.isV6 ? AF_INET6 : AF_INET) }

  /// RTM_GETLINK for one interface by name, without statistics (nobody here reads them).
  static func getLink(name: String, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETLINK, flags: acknowledged, sequence: sequence) { header in
      _ = extraHeader(header, ifinfomsg.self)
      mnl_attr_put_strz(header, UInt16(IFLA_IFNAME), name)
      mnl_attr_put_u32(header, UInt16(IFLA_EXT_MASK), UInt32(RTEXT_FILTER_SKIP_STATS))
    }
  }

  /// RTM_GETLINK for one interface by index, without statistics.
  static func getLink(index: Int32, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETLINK, flags: acknowledged, sequence: sequence) { header in
      extraHeader(header, ifinfomsg.self).pointee.ifi_index = index
      mnl_attr_put_u32(header, UInt16(IFLA_EXT_MASK), UInt32(RTEXT_FILTER_SKIP_STATS))
    }
  }

  /// RTM_GETLINK dump of every interface, for index-to-name lookups.
  static func getLinks(sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETLINK, flags: dump, sequence: sequence) { header in
      _ = extraHeader(header, ifinfomsg.self)
    }
  }

  /// RTM_GETLINK dump of one bridge's ports only (the kernel filters on IFLA_MASTER), without statistics.
  static func getPorts(ofMaster master: Int32, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETLINK, flags: dump, sequence: sequence) { header in
      _ = extraHeader(header, ifinfomsg.self)
      mnl_attr_put_u32(header, UInt16(IFLA_MASTER), UInt32(bitPattern: master))
      mnl_attr_put_u32(header, UInt16(IFLA_EXT_MASK), UInt32(RTEXT_FILTER_SKIP_STATS))
    }
  }

  /// RTM_NEWLINK on an existing interface: set the MTU and bring it up.
  static func setLink(index: Int32, mtu: UInt32, sequence: UInt32) -> [UInt8] {
    build(type: RTM_NEWLINK, flags: acknowledged, sequence: sequence) { header in
      let info = extraHeader(header, ifinfomsg.self)
      info.pointee.ifi_family = UInt8(AF_UNSPEC)
      info.pointee.ifi_index = index
      info.pointee.ifi_flags = UInt32(IFF_UP)
      info.pointee.ifi_change = UInt32(IFF_UP)
      mnl_attr_put_u32(header, UInt16(IFLA_MTU), mtu)
    }
  }

  /// RTM_GETADDR dump of every IPv4 address.
  static func getAddresses(sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETADDR, flags: dump, sequence: sequence) { header in
      extraHeader(header, ifaddrmsg.self).pointee.ifa_family = UInt8(AF_INET)
    }
  }

  /// RTM_GETADDR of one IPv6 address on one interface: the kernel answers with it or EADDRNOTAVAIL. IPv4
  /// has no such request; its addresses come from a dump.
  static func getAddress(_ address: IPv6Interface, index: Int32, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETADDR, flags: acknowledged, sequence: sequence) { header in
      let message = extraHeader(header, ifaddrmsg.self)
      message.pointee.ifa_family = UInt8(AF_INET6)
      message.pointee.ifa_prefixlen = UInt8(address.prefixLength)
      message.pointee.ifa_index = UInt32(bitPattern: index)
      putAddress(header, Int32(IFA_ADDRESS), .v6(address.address))
    }
  }

  /// RTM_NEWADDR / RTM_DELADDR, tagged with IFA_PROTO so `ip addr` shows whose it is. An IPv6 link-local
  /// address (the shared gateway fe80::1) is added with IFA_F_NODAD: every host's bridge carries it, each on
  /// a link of its own, and DAD would only hold it tentative for a second.
  static func address(
    add: Bool, index: Int32, _ address: IPInterface, routeProtocol: UInt8, sequence: UInt32
  ) -> [UInt8] {
    let flags = add ? UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL) : acknowledged
    return build(type: add ? RTM_NEWADDR : RTM_DELADDR, flags: flags, sequence: sequence) { header in
      let message = extraHeader(header, ifaddrmsg.self)
      message.pointee.ifa_family = family(address.address)
      message.pointee.ifa_prefixlen = UInt8(address.prefixLength)
      message.pointee.ifa_index = UInt32(index)
      if add, address.v6?.address.isLinkLocal == true { message.pointee.ifa_flags = UInt8(IFA_F_NODAD) }
      putAddress(header, Int32(IFA_LOCAL), address.address)
      putAddress(header, Int32(IFA_ADDRESS), address.address)
      if add { mnl_attr_put_u8(header, UInt16(IFA_PROTO), routeProtocol) }
    }
  }

  /// RTM_NEWROUTE / RTM_DELROUTE in the main table, laid out as `ip route` lays it out (IPv6 routes have no
  /// link scope: `ip -6 route` sends RT_SCOPE_UNIVERSE for every operation).
  static func route(
    _ operation: RouteChange.Operation, _ route: OwnedRoute, outputIndex: Int32, sequence: UInt32
  ) -> [UInt8] {
    let type: Int
    let flags: Int32
    switch operation {
    case .add: (type, flags) = (RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE)
    case .replace: (type, flags) = (RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE | NLM_F_CREATE)
    case .delete: (type, flags) = (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK)
    }
    return build(type: type, flags: UInt16(flags), sequence: sequence) { header in
      let message = extraHeader(header, rtmsg.self)
      let v6 = route.destination.isV6
      message.pointee.rtm_family = family(route.destination.address)
      message.pointee.rtm_dst_len = UInt8(route.destination.prefixLength)
      message.pointee.rtm_table = UInt8(RT_TABLE_MAIN.rawValue)
      message.pointee.rtm_protocol = route.routeProtocol
      if operation == .delete {
        message.pointee.rtm_scope = UInt8((v6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE).rawValue)
      } else {
        message.pointee.rtm_scope = UInt8(
          (route.gateway == nil && !v6 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE).rawValue)
        message.pointee.rtm_type = UInt8(RTN_UNICAST)
      }
      putAddress(header, Int32(RTA_DST.rawValue), route.destination.address)
      if let gateway = route.gateway, operation != .delete {
        putAddress(header, Int32(RTA_GATEWAY.rawValue), gateway)
      }
      mnl_attr_put_u32(header, UInt16(RTA_OIF.rawValue), UInt32(bitPattern: outputIndex))
      // Without RTA_PRIORITY the kernel adds at metric 0 and deletes the first match from metric 0 up; a
      // migration claim's route is named by its metric both ways. IPv6 adds metric 0 as 1024 and, without
      // RTA_PRIORITY, deletes the first of the prefix's routes in metric order (a claim's 256, 512 or 768
      // before 1024): a normal /128 is deleted as 1024 by name.
      if route.metric != 0 {
        mnl_attr_put_u32(header, UInt16(RTA_PRIORITY.rawValue), route.metric)
      } else if v6 && operation == .delete {
        mnl_attr_put_u32(header, UInt16(RTA_PRIORITY.rawValue), GuestRoutePreference.kernelDefaultMetric6)
      }
    }
  }

  /// RTM_GETROUTE asking for the FIB entry that matches one address (O(1), unlike a dump).
  static func getRoute(matching address: IPAddress, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETROUTE, flags: acknowledged, sequence: sequence) { header in
      let message = extraHeader(header, rtmsg.self)
      message.pointee.rtm_family = family(address)
      message.pointee.rtm_dst_len = address.isV6 ? 128 : 32
      message.pointee.rtm_flags = UInt32(RTM_F_FIB_MATCH)
      putAddress(header, Int32(RTA_DST.rawValue), address)
    }
  }

  /// RTM_GETROUTE dump of every route of one family.
  static func getRoutes(v6: Bool = false, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETROUTE, flags: dump, sequence: sequence) { header in
      extraHeader(header, rtmsg.self).pointee.rtm_family = UInt8(v6 ? AF_INET6 : AF_INET)
    }
  }

  /// RTM_NEWNEIGH / RTM_DELNEIGH of an IPv6 proxy entry, as `ip -6 neigh add proxy ADDR dev IF protocol P`
  /// lays it out: NUD_PERMANENT, NTF_PROXY, NDA_PROTOCOL (add only) before NDA_DST.
  static func neighbour(add: Bool, _ neighbour: ProxyNeighbour, index: Int32, sequence: UInt32) -> [UInt8] {
    let flags = add ? UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL) : acknowledged
    return build(type: add ? RTM_NEWNEIGH : RTM_DELNEIGH, flags: flags, sequence: sequence) { header in
      let message = extraHeader(header, ndmsg.self)
      message.pointee.ndm_family = UInt8(AF_INET6)
      message.pointee.ndm_ifindex = index
      message.pointee.ndm_state = UInt16(NUD_PERMANENT)
      message.pointee.ndm_flags = UInt8(NTF_PROXY)
      if add { mnl_attr_put_u8(header, UInt16(NDA_PROTOCOL), neighbour.routeProtocol) }
      putAddress(header, Int32(NDA_DST), .v6(neighbour.address))
    }
  }

  /// RTM_GETNEIGH of one proxy entry (kernel ≥ 5.0): the entry, or ENOENT.
  static func getNeighbour(_ address: IPv6Address, index: Int32, sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETNEIGH, flags: acknowledged, sequence: sequence) { header in
      let message = extraHeader(header, ndmsg.self)
      message.pointee.ndm_family = UInt8(AF_INET6)
      message.pointee.ndm_ifindex = index
      message.pointee.ndm_flags = UInt8(NTF_PROXY)
      putAddress(header, Int32(NDA_DST), .v6(address))
    }
  }

  /// RTM_GETNEIGH dump of every IPv6 proxy entry.
  static func getProxyNeighbours(sequence: UInt32) -> [UInt8] {
    build(type: RTM_GETNEIGH, flags: dump, sequence: sequence) { header in
      let message = extraHeader(header, ndmsg.self)
      message.pointee.ndm_family = UInt8(AF_INET6)
      message.pointee.ndm_flags = UInt8(NTF_PROXY)
    }
  }
}
