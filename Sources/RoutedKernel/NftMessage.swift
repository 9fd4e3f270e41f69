import CNetlink
import Glibc
import RoutedCore

/// Builders for nfnetlink messages through libnftnl, laid out byte for byte as nft 1.0.6 lays them out.
enum NftMessage {
  static let create = UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
  static let append = UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND)
  static let acknowledged = UInt16(NLM_F_REQUEST | NLM_F_ACK)
  static let dump = UInt16(NLM_F_REQUEST | NLM_F_DUMP)

  /// Builds one message into a scratch buffer and returns exactly its bytes.
  static func build(
    _ type: nf_tables_msg_types, family: UInt16, flags: UInt16, sequence: UInt32,
    _ payload: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in }
  ) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 16384)
    let length = buffer.withUnsafeMutableBytes { raw -> Int in
      let header = nftnl_nlmsg_build_hdr(
        raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt16(type.rawValue), family, flags, sequence)!
      payload(header)
      return Int(header.pointee.nlmsg_len)
    }
    return Array(buffer[0..<length])
  }

  /// NFNL_MSG_BATCH_BEGIN / _END around a transaction.
  static func batchMarker(begin: Bool, sequence: UInt32) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 64)
    let length = buffer.withUnsafeMutableBytes { raw -> Int in
      let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
      let header = begin ? nftnl_batch_begin(base, sequence)! : nftnl_batch_end(base, sequence)!
      return Int(header.pointee.nlmsg_len)
    }
    return Array(buffer[0..<length])
  }

  // MARK: tables

  /// Tables take no NLM_F_CREATE (nft sends none); EXCL still reports an existing one.
  static func newTable(_ table: OwnedTable, sequence: UInt32) -> [UInt8] {
    let flags = UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL)
    return tableMessage(NFT_MSG_NEWTABLE, table, flags: flags, sequence: sequence, withFlags: true)
  }

  static func deleteTable(_ table: OwnedTable, sequence: UInt32) -> [UInt8] {
    tableMessage(NFT_MSG_DELTABLE, table, flags: acknowledged, sequence: sequence, withFlags: false)
  }

  static func getTables(sequence: UInt32) -> [UInt8] {
    build(NFT_MSG_GETTABLE, family: UInt16(NFPROTO_UNSPEC), flags: dump, sequence: sequence)
  }

  private static func tableMessage(
    _ type: nf_tables_msg_types, _ table: OwnedTable, flags: UInt16, sequence: UInt32, withFlags: Bool
  ) -> [UInt8] {
    let object = nftnl_table_alloc()!
    defer { nftnl_table_free(object) }
    nftnl_table_set_str(object, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
    if withFlags { nftnl_table_set_u32(object, UInt16(NFTNL_TABLE_FLAGS.rawValue), 0) }
    return build(type, family: table.nfproto, flags: flags, sequence: sequence) {
      nftnl_table_nlmsg_build_payload($0, object)
    }
  }

  // MARK: chains

  /// A base chain with `policy accept`. libnftnl writes table and name; type, policy and hook follow in
  /// the order nft writes them.
  static func newChain(_ chain: OwnedChain, sequence: UInt32) -> [UInt8] {
    let object = nftnl_chain_alloc()!
    defer { nftnl_chain_free(object) }
    nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), chain.table.name)
    nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), chain.name)
    return build(NFT_MSG_NEWCHAIN, family: chain.table.nfproto, flags: create, sequence: sequence) { header in
      nftnl_chain_nlmsg_build_payload(header, object)
      mnl_attr_put_strz(header, UInt16(NFTA_CHAIN_TYPE.rawValue), chain.kind.rawValue)
      mnl_attr_put_u32(header, UInt16(NFTA_CHAIN_POLICY.rawValue), UInt32(NF_ACCEPT).bigEndian)
      let hook = mnl_attr_nest_start(header, UInt16(NFTA_CHAIN_HOOK.rawValue))
      mnl_attr_put_u32(header, UInt16(NFTA_HOOK_HOOKNUM.rawValue), chain.hookNumber.bigEndian)
      mnl_attr_put_u32(
        header, UInt16(NFTA_HOOK_PRIORITY.rawValue), UInt32(bitPattern: chain.priority).bigEndian)
      mnl_attr_nest_end(header, hook)
    }
  }

  static func getChains(sequence: UInt32) -> [UInt8] {
    build(NFT_MSG_GETCHAIN, family: UInt16(NFPROTO_UNSPEC), flags: dump, sequence: sequence)
  }

  // MARK: sets

  /// A plain (hash) set; `id` lets rules in the same batch refer to it before it exists.
  static func newSet(_ set: OwnedSet, id: UInt32, sequence: UInt32) -> [UInt8] {
    setMessage(NFT_MSG_NEWSET, set, flags: create, sequence: sequence) { object in
      nftnl_set_set_u32(object, UInt16(NFTNL_SET_FLAGS.rawValue), 0)
      nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_TYPE.rawValue), set.keyType.nftType)
      nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_LEN.rawValue), set.keyType.length)
      nftnl_set_set_u32(object, UInt16(NFTNL_SET_ID.rawValue), id)
      set.keyType.userdata.withUnsafeBytes {
        _ = nftnl_set_set_data(object, UInt16(NFTNL_SET_USERDATA.rawValue), $0.baseAddress, UInt32($0.count))
      }
    }
  }

  static func deleteSet(_ set: OwnedSet, sequence: UInt32) -> [UInt8] {
    setMessage(NFT_MSG_DELSET, set, flags: acknowledged, sequence: sequence)
  }

  /// A set named by table and name; `configure` adds the attributes a new set carries.
  private static func setMessage(
    _ type: nf_tables_msg_types, _ set: OwnedSet, flags: UInt16, sequence: UInt32,
    _ configure: (OpaquePointer) -> Void = { _ in }
  ) -> [UInt8] {
    let object = nftnl_set_alloc()!
    defer { nftnl_set_free(object) }
    nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), set.table.name)
    nftnl_set_set_str(object, UInt16(NFTNL_SET_NAME.rawValue), set.name)
    configure(object)
    return build(type, family: set.table.nfproto, flags: flags, sequence: sequence) {
      nftnl_set_nlmsg_build_payload($0, object)
    }
  }

  static func getSets(sequence: UInt32) -> [UInt8] {
    build(NFT_MSG_GETSET, family: UInt16(NFPROTO_UNSPEC), flags: dump, sequence: sequence)
  }

  // MARK: elements

  /// Adds one element (EXCL, so a duplicate is reported, never silently merged).
  static func newElement(
    _ set: OwnedSet, _ key: SetElementKey, comment: String, setID: UInt32, sequence: UInt32
  ) -> [UInt8] {
    elementMessage(
      NFT_MSG_NEWSETELEM, set, [key], comment: comment, setID: setID, flags: create, sequence: sequence)
  }

  static func deleteElement(_ set: OwnedSet, _ key: SetElementKey, sequence: UInt32) -> [UInt8] {
    elementMessage(
      NFT_MSG_DELSETELEM, set, [key], comment: nil, setID: nil, flags: acknowledged, sequence: sequence)
  }

  /// Asks for one element: the kernel answers with it (and its comment) or ENOENT.
  static func getElement(_ set: OwnedSet, _ key: SetElementKey, sequence: UInt32) -> [UInt8] {
    elementMessage(
      NFT_MSG_GETSETELEM, set, [key], comment: nil, setID: nil, flags: acknowledged, sequence: sequence)
  }

  /// Dumps every element of a set.
  static func getElements(_ set: OwnedSet, sequence: UInt32) -> [UInt8] {
    elementMessage(NFT_MSG_GETSETELEM, set, [], comment: nil, setID: nil, flags: dump, sequence: sequence)
  }

  private static func elementMessage(
    _ type: nf_tables_msg_types, _ set: OwnedSet, _ keys: [SetElementKey], comment: String?, setID: UInt32?,
    flags: UInt16, sequence: UInt32
  ) -> [UInt8] {
    // nft writes table, set and set id itself, ahead of the element list libnftnl builds.
    let object = nftnl_set_alloc()!
    defer { nftnl_set_free(object) }
    for key in keys {
      let element = nftnl_set_elem_alloc()!
      key.bytes.withUnsafeBytes {
        _ = nftnl_set_elem_set(element, UInt16(NFTNL_SET_ELEM_KEY), $0.baseAddress, UInt32($0.count))
      }
      if let comment {
        Userdata.comment(comment).withUnsafeBytes {
          _ = nftnl_set_elem_set(element, UInt16(NFTNL_SET_ELEM_USERDATA), $0.baseAddress, UInt32($0.count))
        }
      }
      nftnl_set_elem_add(object, element)
    }
    return build(type, family: set.table.nfproto, flags: flags, sequence: sequence) { header in
      mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), set.table.name)
      mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set.name)
      if let setID { mnl_attr_put_u32(header, UInt16(NFTA_SET_ELEM_LIST_SET_ID.rawValue), setID.bigEndian) }
      nftnl_set_elems_nlmsg_build_payload(header, object)
    }
  }

  // MARK: rules

  /// Appends a compiled rule tagged with its userdata comment, which nft writes after the expressions.
  static func newRule(_ rule: Rule, in chain: OwnedChain, setID: (String) -> UInt32, sequence: UInt32)
    -> [UInt8]
  {
    ruleMessage(
      NFT_MSG_NEWRULE, RuleCompiler.compile(rule, family: chain.table, setID: setID), table: chain.table,
      chain: chain.name, flags: append, sequence: sequence, userdata: Userdata.comment(rule.tag))
  }

  static func deleteRule(table: OwnedTable, chain: String, handle: UInt64, sequence: UInt32) -> [UInt8] {
    let object = nftnl_rule_alloc()!
    nftnl_rule_set_u64(object, UInt16(NFTNL_RULE_HANDLE.rawValue), handle)
    return ruleMessage(
      NFT_MSG_DELRULE, object, table: table, chain: chain, flags: acknowledged, sequence: sequence)
  }

  /// Dumps the rules of one table.
  static func getRules(_ table: OwnedTable, sequence: UInt32) -> [UInt8] {
    ruleMessage(
      NFT_MSG_GETRULE, nftnl_rule_alloc()!, table: table, chain: nil, flags: dump, sequence: sequence)
  }

  /// A rule message from `object` (freed here) placed in `table` and `chain`; `userdata`, the comment, is
  /// written after the expressions, where nft writes it.
  private static func ruleMessage(
    _ type: nf_tables_msg_types, _ object: OpaquePointer, table: OwnedTable, chain: String?, flags: UInt16,
    sequence: UInt32, userdata: [UInt8]? = nil
  ) -> [UInt8] {
    defer { nftnl_rule_free(object) }
    nftnl_rule_set_str(object, UInt16(NFTNL_RULE_TABLE.rawValue), table.name)
    if let chain { nftnl_rule_set_str(object, UInt16(NFTNL_RULE_CHAIN.rawValue), chain) }
    return build(type, family: table.nfproto, flags: flags, sequence: sequence) { header in
      nftnl_rule_nlmsg_build_payload(header, object)
      userdata?.withUnsafeBytes {
        mnl_attr_put(header, UInt16(NFTA_RULE_USERDATA.rawValue), $0.count, $0.baseAddress)
      }
    }
  }
}

extension OwnedTable {
  /// The NFPROTO_* value of the table's family.
  var nfproto: UInt16 {
    switch self {
    case .arpFilter: UInt16(NFPROTO_ARP)
    case .filter: UInt16(NFPROTO_INET)
    case .nat: UInt16(NFPROTO_IPV4)
    case .nat6: UInt16(NFPROTO_IPV6)
    }
  }

  /// The owned table with this family and name, if it is one of ours.
  init?(nfproto: UInt32, name: String) {
    guard let table = OwnedTable.allCases.first(where: { UInt32($0.nfproto) == nfproto && $0.name == name })
    else { return nil }
    self = table
  }
}

extension OwnedChain {
  /// NF_INET_* hook numbers; the arp family numbers its hooks on their own (NF_ARP_IN is 0).
  var hookNumber: UInt32 {
    if table == .arpFilter { return 0 }  // NF_ARP_IN
    switch hook {
    case .prerouting: return UInt32(NF_INET_PRE_ROUTING.rawValue)
    case .input: return UInt32(NF_INET_LOCAL_IN.rawValue)
    case .forward: return UInt32(NF_INET_FORWARD.rawValue)
    case .postrouting: return UInt32(NF_INET_POST_ROUTING.rawValue)
    }
  }
}

extension SetKeyType {
  /// nft's datatype ids: ipv4_addr is 7, ipv6_addr 8, ifname 41, and a concatenation packs them 6 bits each.
  var nftType: UInt32 {
    switch self {
    case .address: 7
    case .addressAndInterface: 7 << 6 | 41
    case .address6: 8
    case .address6AndInterface: 8 << 6 | 41
    }
  }

  /// Key bytes: 4 or 16 for the address, 16 (IFNAMSIZ) for the interface name.
  var length: UInt32 {
    switch self {
    case .address: 4
    case .addressAndInterface: 20
    case .address6: 16
    case .address6AndInterface: 32
    }
  }

  /// The userdata nft stores with the set, so `nft list` prints the key type as nft itself would.
  var userdata: [UInt8] {
    switch self {
    // Key byte order: big endian (2).
    case .address, .address6: Userdata.u32(type: 0, 2)
    // Byte order "invalid" (0) for a concatenation, then the typeof nest nft writes for one (EXPR_CONCAT is 13).
    case .addressAndInterface, .address6AndInterface:
      Userdata.u32(type: 0, 0) + [3, 8] + Userdata.u32(type: 0, 13) + [1, 0]
    }
  }

  /// The key type a kernel set reports, if it is one we make.
  init?(nftType: UInt32, length: UInt32) {
    switch (nftType, length) {
    case (7, 4): self = .address
    case (7 << 6 | 41, 20): self = .addressAndInterface
    case (8, 16): self = .address6
    case (8 << 6 | 41, 32): self = .address6AndInterface
    default: return nil
    }
  }
}

extension SetElementKey {
  /// The key as the kernel stores it: the address in network order, then the name padded to IFNAMSIZ.
  var bytes: [UInt8] {
    guard let interface else { return address.bytes }
    let name = Array(interface.utf8.prefix(15))
    return address.bytes + name + [UInt8](repeating: 0, count: 16 - name.count)
  }

  /// Decodes a key of `keyType` from the kernel's bytes.
  init?(bytes: some Collection<UInt8>, keyType: SetKeyType) {
    let bytes = Array(bytes)
    let width = keyType.isV6 ? 16 : 4
    guard bytes.count >= width else { return nil }
    let address: IPAddress
    if keyType.isV6 {
      guard let v6 = IPv6Address(networkBytes: bytes[0..<16]) else { return nil }
      address = .v6(v6)
    } else {
      guard let v4 = IPv4Address(networkBytes: bytes[0..<4]) else { return nil }
      address = .v4(v4)
    }
    switch keyType {
    case .address, .address6: self.init(address: address)
    case .addressAndInterface, .address6AndInterface:
      self.init(address: address, interface: String(nulTerminated: bytes.dropFirst(width)))
    }
  }
}

/// libnftnl's userdata TLVs (one byte type, one byte length), as nft writes them for comments.
enum Userdata {
  /// A comment TLV (type 0 in every object kind), NUL-terminated like nft's.
  static func comment(_ text: String) -> [UInt8] {
    let bytes = Array(text.utf8.prefix(127)) + [0]
    return [0, UInt8(bytes.count)] + bytes
  }

  static func u32(type: UInt8, _ value: UInt32) -> [UInt8] {
    [type, 4] + withUnsafeBytes(of: value) { Array($0) }
  }

  /// The comment (type 0 for rules and elements alike) in a userdata blob; nil when there is none or the
  /// blob is malformed. Walked here, each length checked against the blob's end: libnftnl's walk
  /// (`nftnl_udata_parse`) trusts every length, and a comment whose length ran past the end of its
  /// attribute was read beyond the message (found by `scripts/fuzz netlink`). The kernel stores userdata
  /// as any writer sent it, so an element someone else put into our set can carry such a blob.
  static func comment(in data: UnsafeRawBufferPointer) -> String? {
    var comment: String?
    var offset = 0
    while offset < data.count {
      guard offset + 2 <= data.count else { return nil }
      let end = offset + 2 + Int(data[offset + 1])
      guard end <= data.count else { return nil }
      if data[offset] == UInt8(NFTNL_UDATA_SET_ELEM_COMMENT.rawValue) {
        comment = String(nulTerminated: data[(offset + 2)..<end])
      }
      offset = end
    }
    return comment
  }
}

extension NftMessage {
  /// Deletes an (empty) chain.
  static func deleteChain(table: OwnedTable, name: String, sequence: UInt32) -> [UInt8] {
    let object = nftnl_chain_alloc()!
    defer { nftnl_chain_free(object) }
    nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), table.name)
    nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), name)
    return build(NFT_MSG_DELCHAIN, family: table.nfproto, flags: acknowledged, sequence: sequence) {
      nftnl_chain_nlmsg_build_payload($0, object)
    }
  }
}
