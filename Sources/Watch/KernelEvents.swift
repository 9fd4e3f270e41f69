#if canImport(Glibc)
  import Glibc
#endif
import CNetlink
import RoutedCore

/// What one kernel notification means for the records.
public enum DriftSignal: Sendable, Equatable {
  /// Cannot hurt anything recorded: an addition, another program's table, a link nobody configured.
  case none
  /// An owned guest object for this address went away: damage, unless the address no longer belongs to a
  /// record (a hook's `stopped`, our own removal), which the daemon tells from the address index.
  case guestAddress(String)
  /// Something of the baseline or a whole table changed: check everything.
  case everything(String)
  /// Notifications were lost (the socket's buffer overran): check everything.
  case overrun
}

/// The daemon's kernel notifications: rtnetlink (links, IPv4 and IPv6 addresses and routes) and nfnetlink's
/// nf_tables group, in the daemon's network namespace. Proxy neighbour entries (a guest's IPv6 answer on a
/// `proxy-arp` uplink) send no notification at all (kernel 6.18): only the periodic reconcile sees one go. Each is read and classified at once, without a dump or a lookup,
/// so that a burst of thousands (`ip route flush proto 151` with every guest) costs little more than reading it.
public final class KernelEvents {
  public let route: Int32
  public let netfilter: Int32
  let routeProtocol: UInt8
  /// The config's bridges and uplinks: a link event for any other name (a guest's tap) changes nothing of ours.
  let interfaces: [String]
  /// Our nftables tables by name (`routed_hook`, `routed_hook_nat`).
  let tables: [String]
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)

  public init(routeProtocol: UInt8, interfaces: [String], tables: [String]) throws(WatchError) {
    self.routeProtocol = routeProtocol
    self.interfaces = interfaces
    self.tables = tables
    route = try Self.open(
      NETLINK_ROUTE,
      groups: UInt32(RTMGRP_LINK) | UInt32(RTMGRP_IPV4_IFADDR) | UInt32(RTMGRP_IPV4_ROUTE)
        | UInt32(RTMGRP_IPV6_IFADDR) | UInt32(RTMGRP_IPV6_ROUTE))
    do {
      netfilter = try Self.open(NETLINK_NETFILTER, groups: 0)
    } catch {
      close(route)
      throw error
    }
    var group = Int32(NFNLGRP_NFTABLES.rawValue)
    guard setsockopt(netfilter, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, socklen_t(4)) == 0 else {
      let code = errno
      close(route)
      close(netfilter)
      throw WatchError.system("join nfnetlink group NFNLGRP_NFTABLES", code)
    }
  }

  deinit {
    close(route)
    close(netfilter)
  }

  private static func open(_ family: Int32, groups: UInt32) throws(WatchError) -> Int32 {
    let socket = Glibc.socket(
      AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), family)
    guard socket >= 0 else { throw WatchError.system("netlink socket", errno) }
    // 8 MiB (root may exceed rmem_max): a flush of 4,000 guests' routes fits without an overrun.
    var size: Int32 = 8 << 20
    if setsockopt(socket, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(4)) != 0 {
      _ = setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(4))
    }
    var address = sockaddr_nl()
    address.nl_family = sa_family_t(AF_NETLINK)
    address.nl_groups = groups
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socket, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
      }
    }
    guard bound == 0 else {
      let code = errno
      close(socket)
      throw WatchError.system("bind netlink socket", code)
    }
    return socket
  }

  /// Reads every waiting datagram of `socket` and returns the signals that matter (never `.none`).
  public func drain(_ socket: Int32) -> [DriftSignal] {
    var signals: [DriftSignal] = []
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
      if count < 0 {
        if errno == EINTR { continue }
        if errno == ENOBUFS { signals.append(.overrun) }
        if errno == EAGAIN || errno == EWOULDBLOCK { return signals }
        if errno != ENOBUFS { return signals }
        continue
      }
      guard count > 0 else { return signals }
      var offset = 0
      while offset + 16 <= count {
        let length = Int(load(UInt32.self, offset))
        guard length >= 16, offset + length <= count else { break }
        let signal = classify(type: load(UInt16.self, offset + 4), flags: load(UInt16.self, offset + 6),
          payload: offset + 16, end: offset + length)
        if signal != .none { signals.append(signal) }
        offset += Int(cnl_nlmsg_align(UInt32(length)))
      }
    }
  }

  private func load<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
    buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
  }

  /// Attributes of one message: (type without flags, start of value, end of value).
  private func attributes(from start: Int, to end: Int) -> [(type: UInt16, start: Int, end: Int)] {
    var list: [(UInt16, Int, Int)] = []
    var offset = start
    while offset + 4 <= end {
      let length = Int(load(UInt16.self, offset))
      guard length >= 4, offset + length <= end else { break }
      list.append((load(UInt16.self, offset + 2) & 0x3fff, offset + 4, offset + length))
      offset += Int(cnl_nla_align(UInt32(length)))
    }
    return list
  }

  private func string(_ start: Int, _ end: Int) -> String {
    buffer.withUnsafeBytes { raw in
      String(decoding: raw[start..<end].prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  private func ipv4(_ start: Int) -> String {
    buffer.withUnsafeBytes { "\($0[start]).\($0[start + 1]).\($0[start + 2]).\($0[start + 3])" }
  }

  /// The IPv6 address at `start` as routed-hook writes it (the address index's file names).
  private func ipv6(_ start: Int) -> String {
    buffer.withUnsafeBytes { IPv6Address(networkBytes: $0[start..<start + 16])?.description ?? "::" }
  }

  func classify(type: UInt16, flags: UInt16, payload: Int, end: Int) -> DriftSignal {
    switch Int32(type) {
    case Int32(RTM_DELROUTE), Int32(RTM_NEWROUTE):
      // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
      guard payload + 12 <= end else { return .none }
      let family = load(UInt8.self, payload)
      guard family == UInt8(AF_INET) || family == UInt8(AF_INET6) else { return .none }
      let size = family == UInt8(AF_INET) ? 4 : 16
      let replaced = Int32(type) == Int32(RTM_NEWROUTE) && flags & UInt16(NLM_F_REPLACE) != 0
      let ours = load(UInt8.self, payload + 5) == routeProtocol
      // A route of ours deleted, or any route put in place of another (which may have been ours).
      guard (Int32(type) == Int32(RTM_DELROUTE) && ours) || (replaced && !ours) else { return .none }
      let prefix = load(UInt8.self, payload + 1)
      let destination = attributes(from: payload + 12, to: end).first { $0.type == UInt16(RTA_DST.rawValue) }
      let text = destination.map { size == 4 ? ipv4($0.start) : ipv6($0.start) }
      guard Int(prefix) == size * 8, let destination, destination.end - destination.start == size, let text else {
        return .everything("route \(text ?? "default")/\(prefix) changed")
      }
      return .guestAddress(text)
    case Int32(RTM_DELADDR):
      // ifaddrmsg: family, prefixlen, flags, scope, index. An IPv6 address leaves every tap that goes away
      // (its link-local one): only one on a bridge or uplink of ours matters (IPv4: taps have none).
      guard payload + 8 <= end else { return .none }
      guard load(UInt8.self, payload) == UInt8(AF_INET6) else { return .everything("an IPv4 address was removed") }
      var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
      guard if_indextoname(load(UInt32.self, payload + 4), &name) != nil,
        interfaces.contains(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
      else { return .none }
      return .everything("an IPv6 address was removed")
    case Int32(RTM_NEWLINK), Int32(RTM_DELLINK):
      guard payload + 16 <= end,
        let name = attributes(from: payload + 16, to: end).first(where: { $0.type == UInt16(IFLA_IFNAME) }),
        interfaces.contains(string(name.start, name.end))
      else { return .none }
      let verb = Int32(type) == Int32(RTM_NEWLINK) ? "changed or appeared" : "went away"
      return .everything("link \(string(name.start, name.end)) \(verb)")
    default:
      return classifyNftables(type: type, payload: payload, end: end)
    }
  }

  /// nf_tables notifications: every message type's first attribute is the table's name (NFTA_*_TABLE = 1).
  private func classifyNftables(type: UInt16, payload: Int, end: Int) -> DriftSignal {
    guard Int32(type >> 8) == NFNL_SUBSYS_NFTABLES, payload + 4 <= end else { return .none }
    let message = Int32(type & 0xff)
    let deleting = [NFT_MSG_DELTABLE, NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_DELSET, NFT_MSG_DELSETELEM]
      .map { Int32($0.rawValue) }
    guard deleting.contains(message) else { return .none }
    let list = attributes(from: payload + 4, to: end)
    guard let table = list.first(where: { $0.type == 1 }), tables.contains(string(table.start, table.end)) else {
      return .none
    }
    guard message == Int32(NFT_MSG_DELSETELEM.rawValue) else {
      return .everything("nftables: \(nftVerb(message)) in table \(string(table.start, table.end))")
    }
    // NFTA_SET_ELEM_LIST_ELEMENTS (3) › NFTA_LIST_ELEM (1) › NFTA_SET_ELEM_KEY (1) › NFTA_DATA_VALUE (1):
    // every guest set's key starts with the guest's address: IPv4 alone (4 bytes) or with an interface name
    // (4 + 16), IPv6 alone (16) or with an interface name (16 + 16).
    guard let elements = list.first(where: { $0.type == 3 }),
      let element = attributes(from: elements.start, to: elements.end).first(where: { $0.type == 1 }),
      let key = attributes(from: element.start, to: element.end).first(where: { $0.type == 1 }),
      let value = attributes(from: key.start, to: key.end).first(where: { $0.type == 1 })
    else { return .everything("nftables: an element left a table of ours") }
    switch value.end - value.start {
    case 4, 20: return .guestAddress(ipv4(value.start))
    case 16, 32: return .guestAddress(ipv6(value.start))
    default: return .everything("nftables: an element left a table of ours")
    }
  }

  private func nftVerb(_ message: Int32) -> String {
    switch message {
    case Int32(NFT_MSG_DELTABLE.rawValue): "table deleted"
    case Int32(NFT_MSG_DELCHAIN.rawValue): "chain deleted"
    case Int32(NFT_MSG_DELRULE.rawValue): "rule deleted"
    case Int32(NFT_MSG_DELSET.rawValue): "set deleted"
    default: "change"
    }
  }
}
