import CNetlink
import Glibc
import RoutedCore

/// nf_tables replies decoded as the other decoders are: `nfgenmsg`, then libmnl's validated attributes.
/// Not libnftnl's `nftnl_*_nlmsg_parse`: on an attribute it does not expect it calls exit(1) ("nf_tables
/// kernel ABI is broken", found by `scripts/fuzz netlink`), and a hook process must never end that way,
/// least of all in `reconnect`.
enum NftReply {
  /// The elements of one NFT_MSG_NEWSETELEM reply, with their comments.
  static func elements(_ message: NetlinkMessage, keyType: SetKeyType) -> [(
    key: SetElementKey, comment: String?
  )] {
    guard message.type == type(NFT_MSG_NEWSETELEM) else { return [] }
    return message.withPayload(nfgenmsg.self) { header, _ -> [(key: SetElementKey, comment: String?)]? in
      let list = AttributeTable(
        header, offset: MemoryLayout<nfgenmsg>.size, maxType: Int32(__NFTA_SET_ELEM_LIST_MAX.rawValue - 1))
      guard let entries = list[Int32(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)] else { return [] }
      var elements: [(key: SetElementKey, comment: String?)] = []
      for entry in AttributeTable.entries(nestedIn: entries) {
        let fields = AttributeTable(nestedIn: entry, maxType: Int32(__NFTA_SET_ELEM_MAX.rawValue - 1))
        guard let keyData = fields[Int32(NFTA_SET_ELEM_KEY.rawValue)],
          let value = AttributeTable(nestedIn: keyData, maxType: Int32(__NFTA_DATA_MAX.rawValue - 1)).bytes(
            Int32(NFTA_DATA_VALUE.rawValue)),
          let key = SetElementKey(bytes: value, keyType: keyType)
        else { continue }
        let comment = fields.bytes(Int32(NFTA_SET_ELEM_USERDATA.rawValue)).flatMap(Userdata.comment(in:))
        elements.append((key, comment))
      }
      return elements
    } ?? []
  }

  /// The netlink type of an nf_tables message: the subsystem in the high byte.
  private static func type(_ kind: nf_tables_msg_types) -> UInt16 {
    UInt16(NFNL_SUBSYS_NFTABLES) << 8 | UInt16(kind.rawValue)
  }
}
