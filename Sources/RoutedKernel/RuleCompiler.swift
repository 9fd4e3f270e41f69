import CNetlink
import Glibc
import RoutedCore

/// Compiles a `Rule` into the libnftnl expressions nft 1.0.6 generates for the same rule text, so
/// `nft list ruleset` prints it exactly as written in the ruleset design.
enum RuleCompiler {
  /// A new libnftnl rule holding the expressions; the caller sets table, chain and userdata, then frees it.
  static func compile(_ rule: Rule, family table: OwnedTable, setID: (String) -> UInt32) -> OpaquePointer {
    let object = nftnl_rule_alloc()!
    withoutActuallyEscaping(setID) { setID in
      emit(rule, into: ExpressionBuilder(rule: object, table: table, setID: setID))
    }
    return object
  }

  private static func emit(_ rule: Rule, into builder: ExpressionBuilder) {
    switch rule {
    case .dropSpoofed(let bridge, let set):
      builder.interfaceIs(bridge, input: true)
      builder.familyOnly(v6: false)
      builder.payload(offset: 12, length: 4, register: 1)
      builder.lookup(set, inverted: true)
      builder.verdict(NF_DROP)
    case .acceptBridged(let bridge):
      builder.interfaceIs(bridge, input: true)
      builder.interfaceIs(bridge, input: false)
      builder.verdict(NF_ACCEPT)
    case .acceptEgress(let bridge, let set), .acceptEgress6(let bridge, let set):
      builder.acceptGuestAndUplink(bridge, fromBridge: true, set, v6: rule.isV6)
    case .acceptIngress(let bridge, let set), .acceptIngress6(let bridge, let set):
      builder.acceptGuestAndUplink(bridge, fromBridge: false, set, v6: rule.isV6)
    case .acceptReplies(let bridge):
      builder.interfaceIs(bridge, input: false)
      builder.connectionStateIsEstablishedOrRelated()
      builder.verdict(NF_ACCEPT)
    case .dropFromBridge(let bridge):
      builder.interfaceIs(bridge, input: true)
      builder.verdict(NF_DROP)
    case .dropToBridge(let bridge):
      builder.interfaceIs(bridge, input: false)
      builder.verdict(NF_DROP)
    case .masquerade(let set), .masquerade6(let set):
      builder.masquerade(set, v6: rule.isV6)
    case .dropARPRequests(let interface, let set):
      builder.interfaceIs(interface, input: true)
      // arp operation (2 bytes at offset 6) == request (1, big endian); nft 1.0.6 adds no htype/ptype checks.
      builder.payload(offset: 6, length: 2, register: 1)
      builder.compare(NFT_CMP_EQ, [0, 1])
      // arp daddr ip: the target protocol address of an Ethernet/IPv4 ARP packet.
      builder.payload(offset: 24, length: 4, register: 1)
      builder.lookup(set, inverted: true)
      builder.verdict(NF_DROP)
    case .dropSpoofed6(let bridge, let set):
      // The IPv6 source (16 bytes at offset 8) is loaded for each test, as nft does.
      builder.interfaceIs(bridge, input: true)
      builder.familyOnly(v6: true)
      builder.payload(offset: 8, length: 16, register: 1)
      builder.compare(NFT_CMP_NEQ, [UInt8](repeating: 0, count: 16))
      builder.payload(offset: 8, length: 16, register: 1)
      builder.mask([0xff, 0xc0] + [UInt8](repeating: 0, count: 14))
      builder.compare(NFT_CMP_NEQ, [0xfe, 0x80] + [UInt8](repeating: 0, count: 14))
      builder.payload(offset: 8, length: 16, register: 1)
      builder.lookup(set, inverted: true)
      builder.verdict(NF_DROP)
    }
  }
}

/// Appends expressions to a libnftnl rule.
private struct ExpressionBuilder {
  let rule: OpaquePointer
  let table: OwnedTable
  let setID: (String) -> UInt32

  init(rule: OpaquePointer, table: OwnedTable, setID: @escaping (String) -> UInt32) {
    self.rule = rule
    self.table = table
    self.setID = setID
  }

  @discardableResult
  func add(_ name: String, _ configure: (OpaquePointer) -> Void = { _ in }) -> OpaquePointer {
    let expression = nftnl_expr_alloc(name)!
    configure(expression)
    nftnl_rule_add_expr(rule, expression)
    return expression
  }

  func meta(_ key: nft_meta_keys, register: UInt32) {
    add("meta") {
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_META_KEY), key.rawValue)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_META_DREG), register)
    }
  }

  func compare(_ operation: nft_cmp_ops, _ data: [UInt8]) {
    add("cmp") {
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_CMP_SREG), 1)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_CMP_OP), operation.rawValue)
      let expression = $0
      data.withUnsafeBytes {
        _ = nftnl_expr_set(expression, UInt16(NFTNL_EXPR_CMP_DATA), $0.baseAddress, UInt32($0.count))
      }
    }
  }

  /// `iifname "B"` / `oifname "B"`: the name compared as a full IFNAMSIZ buffer, like nft does.
  func interfaceIs(_ name: String, input: Bool) {
    meta(input ? NFT_META_IIFNAME : NFT_META_OIFNAME, register: 1)
    let bytes = Array(name.utf8.prefix(15))
    compare(NFT_CMP_EQ, bytes + [UInt8](repeating: 0, count: 16 - bytes.count))
  }

  /// The implicit `meta nfproto ipv4` (`ipv6`) nft adds before an `ip` (`ip6`) header match in an inet table.
  func familyOnly(v6: Bool) {
    guard table == .filter else { return }
    meta(NFT_META_NFPROTO, register: 1)
    compare(NFT_CMP_EQ, [UInt8(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4)])
  }

  /// `reg 1 = reg 1 & mask ^ 0`: a prefix match, before the compare.
  func mask(_ mask: [UInt8]) {
    let zero = [UInt8](repeating: 0, count: mask.count)
    add("bitwise") { expression in
      nftnl_expr_set_u32(expression, UInt16(NFTNL_EXPR_BITWISE_SREG), 1)
      nftnl_expr_set_u32(expression, UInt16(NFTNL_EXPR_BITWISE_DREG), 1)
      nftnl_expr_set_u32(expression, UInt16(NFTNL_EXPR_BITWISE_LEN), UInt32(mask.count))
      mask.withUnsafeBytes {
        _ = nftnl_expr_set(expression, UInt16(NFTNL_EXPR_BITWISE_MASK), $0.baseAddress, UInt32($0.count))
      }
      zero.withUnsafeBytes {
        _ = nftnl_expr_set(expression, UInt16(NFTNL_EXPR_BITWISE_XOR), $0.baseAddress, UInt32($0.count))
      }
    }
  }

  /// Loads bytes of the network header into a register.
  func payload(offset: UInt32, length: UInt32, register: UInt32) {
    add("payload") {
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_PAYLOAD_DREG), register)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_PAYLOAD_BASE), NFT_PAYLOAD_NETWORK_HEADER.rawValue)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_PAYLOAD_OFFSET), offset)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_PAYLOAD_LEN), length)
    }
  }

  /// `@set` or `!= @set` on the key that starts in register 1.
  func lookup(_ set: String, inverted: Bool) {
    add("lookup") {
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_LOOKUP_SREG), 1)
      nftnl_expr_set_str($0, UInt16(NFTNL_EXPR_LOOKUP_SET), set)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_LOOKUP_SET_ID), setID(set))
      if inverted { nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_LOOKUP_FLAGS), NFT_LOOKUP_F_INV.rawValue) }
    }
  }

  /// `iifname B ip saddr . oifname @set accept` from the bridge, `oifname B ip daddr . iifname @set accept`
  /// to it (`ip6` for IPv6): the guest's address and the uplink on the other side, looked up as one key.
  func acceptGuestAndUplink(_ bridge: String, fromBridge: Bool, _ set: String, v6: Bool) {
    interfaceIs(bridge, input: fromBridge)
    familyOnly(v6: v6)
    addressAndInterface(
      source: fromBridge, v6: v6, interface: fromBridge ? NFT_META_OIFNAME : NFT_META_IIFNAME)
    lookup(set, inverted: false)
    verdict(NF_ACCEPT)
  }

  /// `ip saddr . oifname @set masquerade` (`ip6 saddr` for NAT66).
  func masquerade(_ set: String, v6: Bool) {
    addressAndInterface(source: true, v6: v6, interface: NFT_META_OIFNAME)
    lookup(set, inverted: false)
    add("masq")
  }

  /// The key of an `address . ifname` set: the source or destination address into register 1 and the
  /// interface name right after it, in the 32-bit register 9 after an IPv4 address or in the next 128-bit
  /// register (2) after an IPv6 one, which fills register 1.
  func addressAndInterface(source: Bool, v6: Bool, interface: nft_meta_keys) {
    if v6 {
      payload(offset: source ? 8 : 24, length: 16, register: 1)
    } else {
      payload(offset: source ? 12 : 16, length: 4, register: 1)
    }
    meta(interface, register: v6 ? 2 : 9)
  }

  /// `ct state established,related`: a bit test on the conntrack state.
  func connectionStateIsEstablishedOrRelated() {
    add("ct") {
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_CT_KEY), NFT_CT_STATE.rawValue)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_CT_DREG), 1)
    }
    // NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED), in host order like the kernel's.
    let mask = withUnsafeBytes(of: UInt32(2 | 4)) { Array($0) }
    let zero = [UInt8](repeating: 0, count: 4)
    add("bitwise") { expression in
      nftnl_expr_set_u32(expression, UInt16(NFTNL_EXPR_BITWISE_SREG), 1)
      nftnl_expr_set_u32(expression, UInt16(NFTNL_EXPR_BITWISE_DREG), 1)
      nftnl_expr_set_u32(expression, UInt16(NFTNL_EXPR_BITWISE_LEN), 4)
      mask.withUnsafeBytes {
        _ = nftnl_expr_set(expression, UInt16(NFTNL_EXPR_BITWISE_MASK), $0.baseAddress, UInt32($0.count))
      }
      zero.withUnsafeBytes {
        _ = nftnl_expr_set(expression, UInt16(NFTNL_EXPR_BITWISE_XOR), $0.baseAddress, UInt32($0.count))
      }
    }
    compare(NFT_CMP_NEQ, zero)
  }

  func verdict(_ verdict: Int32) {
    add("immediate") {
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_IMM_DREG), NFT_REG_VERDICT.rawValue)
      nftnl_expr_set_u32($0, UInt16(NFTNL_EXPR_IMM_VERDICT), UInt32(bitPattern: verdict))
    }
  }
}
