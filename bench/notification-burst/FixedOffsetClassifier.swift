// The baseline of bench/notification-burst.sh: the watch daemon's classifier as it was before issue 12 (main at
// 0571908, Sources/Watch/KernelEvents.swift), which read each notification at fixed offsets with its own
// attribute walk. Kept verbatim but for its socket code, so the bench can run both side by side in one process;
// built into no product.
import CNetlink
import Glibc
import RoutedCore

final class FixedOffsetClassifier {
  let routeProtocol: UInt8
  /// The config's bridges and uplinks: a link event for any other name (a guest's tap) changes nothing of ours.
  let interfaces: [String]
  /// Our nftables tables by name (`routed_hook`, `routed_hook_nat`).
  let tables: [String]
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)

  init(routeProtocol: UInt8, interfaces: [String], tables: [String]) {
    self.routeProtocol = routeProtocol
    self.interfaces = interfaces
    self.tables = tables
  }

  /// The old drain's inner loop over one datagram already in `buffer`.
  func signals(datagram: [UInt8], into signals: inout [DriftSignal]) {
    let count = datagram.count
    buffer.withUnsafeMutableBytes { raw in datagram.withUnsafeBytes { raw.copyMemory(from: $0) } }
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
      offset += ((length + 3) & ~3)
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
