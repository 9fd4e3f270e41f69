import CNetlink
import Glibc
import RoutedCore

/// RTM_NEWLINK (a dump's entry or a notification) or RTM_DELLINK (a notification), decoded: `ifinfomsg` and the
/// attributes routed-hook reads.
struct LinkMessage {
  var index: Int32
  var name: String
  var mtu: Int
  var flags: UInt32
  var master: Int32?
  /// IFLA_LINKINFO's IFLA_INFO_KIND: `bridge`, `veth`, `openvswitch`, …
  var kind: String?
  /// RTM_DELLINK: the link went away.
  var removed: Bool

  init?(_ message: NetlinkMessage) {
    let removed = Int(message.type) == RTM_DELLINK
    guard Int(message.type) == RTM_NEWLINK || removed else { return nil }
    guard
      let decoded = message.withPayload(
        ifinfomsg.self,
        { header, info -> LinkMessage? in
          let attributes = AttributeTable(
            header, offset: MemoryLayout<ifinfomsg>.size, maxType: Int32(__IFLA_MAX - 1))
          guard let name = attributes.string(Int32(IFLA_IFNAME)) else { return nil }
          let kind = attributes[Int32(IFLA_LINKINFO)].flatMap {
            AttributeTable(nestedIn: $0, maxType: Int32(__IFLA_INFO_MAX - 1)).string(
              Int32(IFLA_INFO_KIND))
          }
          return LinkMessage(
            index: info.ifi_index, name: name, mtu: Int(attributes.u32(Int32(IFLA_MTU)) ?? 0),
            flags: info.ifi_flags,
            master: attributes.u32(Int32(IFLA_MASTER)).map { Int32(bitPattern: $0) }, kind: kind,
            removed: removed)
        })
    else { return nil }
    self = decoded
  }

  private init(
    index: Int32, name: String, mtu: Int, flags: UInt32, master: Int32?, kind: String?, removed: Bool
  ) {
    self.index = index
    self.name = name
    self.mtu = mtu
    self.flags = flags
    self.master = master
    self.kind = kind
    self.removed = removed
  }

  var link: KernelLink {
    KernelLink(index: index, name: name, mtu: mtu, isUp: flags & UInt32(IFF_UP) != 0)
  }
}
