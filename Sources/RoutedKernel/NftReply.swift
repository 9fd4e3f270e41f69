import CNetlink
import Glibc
import RoutedCore

/// nf_tables replies decoded as the other decoders are: `nfgenmsg`, then libmnl's validated attributes.
/// Not libnftnl's `nftnl_*_nlmsg_parse`: on an attribute it does not expect it calls exit(1) ("nf_tables
/// kernel ABI is broken", found by `scripts/fuzz netlink` in its element parser; its table, chain, set and
/// rule parsers, and the expression parsers a rule's parse runs, do the same), and a hook process must never
/// end that way, least of all in `reconnect`.
enum NftReply {
  /// NFT_MSG_NEWTABLE: one of our tables; nil for anyone else's.
  static func table(_ message: NetlinkMessage) -> OwnedTable? {
    decode(message, NFT_MSG_NEWTABLE, maxType: __NFTA_TABLE_MAX.rawValue) { family, attributes in
      attributes.string(Int32(NFTA_TABLE_NAME.rawValue)).flatMap { OwnedTable(nfproto: family, name: $0) }
    }
  }

  /// NFT_MSG_NEWCHAIN: a chain of one of our tables.
  static func chain(_ message: NetlinkMessage) -> NftObjectName? {
    decode(message, NFT_MSG_NEWCHAIN, maxType: __NFTA_CHAIN_MAX.rawValue) { family, attributes in
      guard let tableName = attributes.string(Int32(NFTA_CHAIN_TABLE.rawValue)),
        let table = OwnedTable(nfproto: family, name: tableName),
        let name = attributes.string(Int32(NFTA_CHAIN_NAME.rawValue))
      else { return nil }
      return NftObjectName(table: table, name: name)
    }
  }

  /// NFT_MSG_NEWSET: a set of one of our tables, with a nil key type when it is not one we make.
  static func set(_ message: NetlinkMessage) -> KernelSet? {
    decode(message, NFT_MSG_NEWSET, maxType: __NFTA_SET_MAX.rawValue) { family, attributes in
      guard let tableName = attributes.string(Int32(NFTA_SET_TABLE.rawValue)),
        let table = OwnedTable(nfproto: family, name: tableName),
        let name = attributes.string(Int32(NFTA_SET_NAME.rawValue))
      else { return nil }
      // Both in network byte order.
      let keyType = SetKeyType(
        nftType: UInt32(bigEndian: attributes.u32(Int32(NFTA_SET_KEY_TYPE.rawValue)) ?? 0),
        length: UInt32(bigEndian: attributes.u32(Int32(NFTA_SET_KEY_LEN.rawValue)) ?? 0))
      return KernelSet(name: NftObjectName(table: table, name: name), keyType: keyType)
    }
  }

  /// NFT_MSG_NEWRULE of `table`: its chain, handle and comment; its expressions are never read.
  static func rule(_ message: NetlinkMessage, in table: OwnedTable) -> KernelRule? {
    decode(message, NFT_MSG_NEWRULE, maxType: __NFTA_RULE_MAX.rawValue) { _, attributes in
      guard attributes.string(Int32(NFTA_RULE_TABLE.rawValue)) == table.name,
        let chain = attributes.string(Int32(NFTA_RULE_CHAIN.rawValue)),
        let handle = attributes.u64(Int32(NFTA_RULE_HANDLE.rawValue))
      else { return nil }
      return KernelRule(
        table: table, chain: chain, handle: UInt64(bigEndian: handle),
        tag: attributes.bytes(Int32(NFTA_RULE_USERDATA.rawValue)).flatMap(Userdata.comment(in:)))
    }
  }

  /// The elements of one NFT_MSG_NEWSETELEM reply, with their comments.
  static func elements(_ message: NetlinkMessage, keyType: SetKeyType) -> [(
    key: SetElementKey, comment: String?
  )] {
    decode(message, NFT_MSG_NEWSETELEM, maxType: __NFTA_SET_ELEM_LIST_MAX.rawValue) { _, list in
      guard let entries = list[Int32(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)] else { return [] }
      var elements: [(key: SetElementKey, comment: String?)] = []
      for entry in AttributeTable.entries(nestedIn: entries) {
        let fields = AttributeTable(nestedIn: entry, maxType: Int32(__NFTA_SET_ELEM_MAX.rawValue - 1))
        guard let value = keyValue(fields), let key = SetElementKey(bytes: value, keyType: keyType) else {
          continue
        }
        let comment = fields.bytes(Int32(NFTA_SET_ELEM_USERDATA.rawValue)).flatMap(Userdata.comment(in:))
        elements.append((key, comment))
      }
      return elements
    } ?? []
  }

  /// An element's key bytes: NFTA_SET_ELEM_KEY's NFTA_DATA_VALUE.
  private static func keyValue(_ fields: AttributeTable) -> UnsafeRawBufferPointer? {
    fields[Int32(NFTA_SET_ELEM_KEY.rawValue)].flatMap {
      AttributeTable(nestedIn: $0, maxType: Int32(__NFTA_DATA_MAX.rawValue - 1)).bytes(
        Int32(NFTA_DATA_VALUE.rawValue))
    }
  }

  /// NFT_MSG_DELTABLE, DELCHAIN, DELRULE, DELSET or DELSETELEM, as the kernel notifies them: the table's name
  /// (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, … all of type 1) and, for DELSETELEM, the first element's key. The
  /// kernel sends one DELSETELEM per element it removes.
  static func deletion(_ message: NetlinkMessage) -> NftDeletion? {
    guard message.type >> 8 == UInt16(NFNL_SUBSYS_NFTABLES) else { return nil }
    let type = nf_tables_msg_types(rawValue: UInt32(message.type & 0xff))
    let kind: NftDeletion.Kind
    let maxType: UInt32
    switch type {
    case NFT_MSG_DELTABLE: (kind, maxType) = (.table, __NFTA_TABLE_MAX.rawValue)
    case NFT_MSG_DELCHAIN: (kind, maxType) = (.chain, __NFTA_CHAIN_MAX.rawValue)
    case NFT_MSG_DELRULE: (kind, maxType) = (.rule, __NFTA_RULE_MAX.rawValue)
    case NFT_MSG_DELSET: (kind, maxType) = (.set, __NFTA_SET_MAX.rawValue)
    case NFT_MSG_DELSETELEM: (kind, maxType) = (.element, __NFTA_SET_ELEM_LIST_MAX.rawValue)
    default: return nil
    }
    return decode(message, type, maxType: maxType) { _, attributes in
      guard let table = attributes.string(Int32(NFTA_TABLE_NAME.rawValue)) else { return nil }
      guard kind == .element else { return NftDeletion(kind: kind, table: table) }
      let first = attributes[Int32(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)].flatMap {
        AttributeTable.entries(nestedIn: $0).first {
          mnl_attr_get_type($0) == UInt16(NFTA_LIST_ELEM.rawValue)
        }
      }
      let key = first.flatMap {
        keyValue(AttributeTable(nestedIn: $0, maxType: Int32(__NFTA_SET_ELEM_MAX.rawValue - 1)))
      }
      return NftDeletion(kind: kind, table: table, elementKey: key.map { Array($0) })
    }
  }

  /// A message of `kind` with its family (from `nfgenmsg`) and attributes of types below `maxType`.
  private static func decode<R>(
    _ message: NetlinkMessage, _ kind: nf_tables_msg_types, maxType: UInt32,
    _ body: (UInt32, AttributeTable) -> R?
  ) -> R? {
    guard message.type == UInt16(NFNL_SUBSYS_NFTABLES) << 8 | UInt16(kind.rawValue) else { return nil }
    return message.withPayload(nfgenmsg.self) { header, info in
      body(
        UInt32(info.nfgen_family),
        AttributeTable(header, offset: MemoryLayout<nfgenmsg>.size, maxType: Int32(maxType) - 1))
    }
  }
}
