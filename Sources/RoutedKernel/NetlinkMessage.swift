import CNetlink
import RoutedCore

/// One netlink message as received, whole, header included. Its fields are read only by the decoders
/// (`LinkMessage`, `AddressMessage`, `RouteMessage`, `Acknowledgement`, `NftReply`, and for the watch
/// daemon's notifications `KernelNotificationDecoder`, which uses them), through libmnl and the
/// kernel's own structs, never at hand-counted offsets.
struct NetlinkMessage {
  var bytes: [UInt8]

  private var header: nlmsghdr { bytes.withUnsafeBytes { $0.loadUnaligned(as: nlmsghdr.self) } }
  var type: UInt16 { header.nlmsg_type }
  var flags: UInt16 { header.nlmsg_flags }
  var sequence: UInt32 { header.nlmsg_seq }

  /// Splits a datagram into its messages with libmnl's walk; a truncated tail is dropped, as the kernel
  /// never sends one. Two guards for what the kernel never sends either (found by `scripts/fuzz netlink`):
  /// libmnl compares a length of 2 GiB or more as a negative int, which passes its check, so the length is
  /// checked against what remains here too; and libmnl walks a message's attributes up to its length
  /// rounded up to 4 bytes, so a message of an unaligned length is padded with zeros to that end.
  static func split(_ datagram: [UInt8]) -> [NetlinkMessage] {
    datagram.withUnsafeBytes(split)
  }

  /// `split` of a datagram in a receive buffer, without copying it first.
  static func split(_ raw: UnsafeRawBufferPointer) -> [NetlinkMessage] {
    guard let base = raw.baseAddress else { return [] }
    var messages: [NetlinkMessage] = []
    var header = UnsafePointer(base.assumingMemoryBound(to: nlmsghdr.self))
    var remaining = Int32(clamping: raw.count)
    while mnl_nlmsg_ok(header, remaining), header.pointee.nlmsg_len <= UInt32(remaining) {
      let start = UnsafeRawPointer(header) - base
      let length = Int(header.pointee.nlmsg_len)
      var bytes = Array(raw[start..<start + length])
      let padding = Int(cnl_nlmsg_align(UInt32(length))) - length
      if padding > 0 { bytes += repeatElement(0, count: padding) }
      messages.append(NetlinkMessage(bytes: bytes))
      header = UnsafePointer(mnl_nlmsg_next(header, &remaining)!)
    }
    return messages
  }

  /// Gives libmnl's and libnftnl's parsers a `nlmsghdr` pointer to this message.
  func withHeader<R>(_ body: (UnsafePointer<nlmsghdr>) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { raw in
      try body(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
    }
  }

  /// The message's fixed header (`ifinfomsg`, `rtmsg`, …) when the message is long enough to hold one.
  func withPayload<Header, R>(_: Header.Type, _ body: (UnsafePointer<nlmsghdr>, Header) -> R?) -> R? {
    withHeader { header in
      guard mnl_nlmsg_get_payload_len(header) >= MemoryLayout<Header>.size else { return nil }
      let fixed = UnsafeRawPointer(mnl_nlmsg_get_payload(header)!).loadUnaligned(as: Header.self)
      return body(header, fixed)
    }
  }
}

/// The attributes of a message (or of a nested attribute) by type, in a fixed table filled by libmnl's
/// `mnl_attr_parse`: types above `maxType` are skipped, and each value is checked with `mnl_attr_validate`
/// before it is read. No dictionary: a hashed key type costs the hook a run-time conformance scan.
/// The table points into the message, so it is used only inside `NetlinkMessage.withHeader`.
struct AttributeTable {
  private var entries: [UnsafePointer<nlattr>?]

  /// The attributes after the message's fixed header of `offset` bytes.
  init(_ header: UnsafePointer<nlmsghdr>, offset: Int, maxType: Int32) {
    entries = Self.fill(maxType) { mnl_attr_parse(header, UInt32(offset), Self.store, $0) }
  }

  /// The attributes nested in `attribute`.
  init(nestedIn attribute: UnsafePointer<nlattr>, maxType: Int32) {
    entries = Self.fill(maxType) { mnl_attr_parse_nested(attribute, Self.store, $0) }
  }

  /// The attributes in a bare run of bytes (a multipath hop's).
  init(payload: UnsafeRawPointer, length: Int, maxType: Int32) {
    entries = Self.fill(maxType) { mnl_attr_parse_payload(payload, length, Self.store, $0) }
  }

  private struct Slots {
    var table: UnsafeMutablePointer<UnsafePointer<nlattr>?>
    var maxType: Int32
  }

  private static func fill(_ maxType: Int32, _ parse: (UnsafeMutableRawPointer) -> Int32)
    -> [UnsafePointer<nlattr>?]
  {
    var entries = [UnsafePointer<nlattr>?](repeating: nil, count: Int(maxType) + 1)
    entries.withUnsafeMutableBufferPointer { buffer in
      var slots = Slots(table: buffer.baseAddress!, maxType: maxType)
      _ = withUnsafeMutablePointer(to: &slots) { parse(UnsafeMutableRawPointer($0)) }
    }
    return entries
  }

  /// libmnl's callback: the last attribute of each known type wins, as in the kernel's own parsers.
  private static let store: mnl_attr_cb_t = { attribute, data in
    guard let attribute, let data else { return MNL_CB_ERROR }
    let slots = data.assumingMemoryBound(to: Slots.self).pointee
    if mnl_attr_type_valid(attribute, UInt16(slots.maxType)) > 0 {
      slots.table[Int(mnl_attr_get_type(attribute))] = attribute
    }
    return MNL_CB_OK
  }

  subscript(type: Int32) -> UnsafePointer<nlattr>? {
    type >= 0 && Int(type) < entries.count ? entries[Int(type)] : nil
  }

  func u8(_ type: Int32) -> UInt8? {
    guard let attribute = self[type], mnl_attr_validate(attribute, MNL_TYPE_U8) >= 0 else { return nil }
    return mnl_attr_get_u8(attribute)
  }

  func u32(_ type: Int32) -> UInt32? {
    guard let attribute = self[type], mnl_attr_validate(attribute, MNL_TYPE_U32) >= 0 else { return nil }
    return mnl_attr_get_u32(attribute)
  }

  func u64(_ type: Int32) -> UInt64? {
    guard let attribute = self[type], mnl_attr_validate(attribute, MNL_TYPE_U64) >= 0 else { return nil }
    return mnl_attr_get_u64(attribute)
  }

  /// A NUL-terminated string attribute.
  func string(_ type: Int32) -> String? {
    guard let attribute = self[type], mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) >= 0 else {
      return nil
    }
    return String(cString: mnl_attr_get_str(attribute))
  }

  /// Sixteen bytes in network order (RTA_DST, IFA_ADDRESS, NDA_DST of IPv6).
  func ipv6(_ type: Int32) -> IPv6Address? {
    guard let attribute = self[type], mnl_attr_get_payload_len(attribute) == 16 else { return nil }
    return IPv6Address(
      networkBytes: UnsafeRawBufferPointer(start: mnl_attr_get_payload(attribute), count: 16))
  }

  /// A binary attribute's bytes (NFTA_DATA_VALUE, userdata).
  func bytes(_ type: Int32) -> UnsafeRawBufferPointer? {
    guard let attribute = self[type] else { return nil }
    return UnsafeRawBufferPointer(
      start: mnl_attr_get_payload(attribute), count: Int(mnl_attr_get_payload_len(attribute)))
  }

  /// Every attribute nested in `attribute`, in order: the entries of a list, which share one type.
  static func entries(nestedIn attribute: UnsafePointer<nlattr>) -> [UnsafePointer<nlattr>] {
    var entries: [UnsafePointer<nlattr>] = []
    _ = withUnsafeMutablePointer(to: &entries) {
      mnl_attr_parse_nested(attribute, Self.append, UnsafeMutableRawPointer($0))
    }
    return entries
  }

  /// libmnl's callback for `entries`: each attribute, whatever its type.
  private static let append: mnl_attr_cb_t = { attribute, data in
    guard let attribute, let data else { return MNL_CB_ERROR }
    data.assumingMemoryBound(to: [UnsafePointer<nlattr>].self).pointee.append(attribute)
    return MNL_CB_OK
  }

  /// Four bytes in network order (RTA_DST, IFA_LOCAL, …).
  func ipv4(_ type: Int32) -> IPv4Address? {
    guard let attribute = self[type], mnl_attr_get_payload_len(attribute) == 4 else { return nil }
    let value = UnsafeRawPointer(mnl_attr_get_payload(attribute)!).loadUnaligned(as: UInt32.self)
    return IPv4Address(UInt32(bigEndian: value))
  }
}

extension String {
  /// Decodes a C string attribute, stopping at the first NUL.
  init(nulTerminated bytes: some Collection<UInt8>) {
    self = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  }
}
