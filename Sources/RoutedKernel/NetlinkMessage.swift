import CNetlink

/// One netlink message as received: header fields plus the bytes after the header.
struct NetlinkMessage {
  /// The whole message, header included.
  var bytes: [UInt8]

  var type: UInt16 { bytes.loadHost(UInt16.self, at: 4) }
  var flags: UInt16 { bytes.loadHost(UInt16.self, at: 6) }
  var sequence: UInt32 { bytes.loadHost(UInt32.self, at: 8) }
  /// Everything after the 16-byte `nlmsghdr`.
  var payload: ArraySlice<UInt8> { bytes[16...] }

  /// Splits a datagram into its messages; a truncated tail is dropped, as the kernel never sends one.
  static func split(_ datagram: [UInt8]) -> [NetlinkMessage] {
    var messages: [NetlinkMessage] = []
    var offset = 0
    while offset + 16 <= datagram.count {
      let length = Int(datagram.loadHost(UInt32.self, at: offset))
      guard length >= 16, offset + length <= datagram.count else { break }
      messages.append(NetlinkMessage(bytes: Array(datagram[offset..<offset + length])))
      offset += Int(cnl_nlmsg_align(UInt32(length)))
    }
    return messages
  }

  /// Gives libnftnl's parsers a `nlmsghdr` pointer to this message.
  func withHeader<R>(_ body: (UnsafePointer<nlmsghdr>) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { raw in
      try body(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
    }
  }
}

/// The attributes of a message or of a nested attribute, by type (nested and byte-order flags stripped).
/// Looked up by walking the attributes each time: a message has a few dozen and callers ask for a handful,
/// and a `[UInt16: …]` index would cost every hook call a run-time scan of the binary's conformances.
struct NetlinkAttributes {
  private let bytes: ArraySlice<UInt8>

  init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

  /// The last attribute of `type`, as a dictionary filled in order would keep it.
  private func value(_ wanted: UInt16) -> ArraySlice<UInt8>? {
    var found: ArraySlice<UInt8>?
    var offset = bytes.startIndex
    while offset + 4 <= bytes.endIndex {
      let length = Int(bytes.loadHost(UInt16.self, at: offset))
      let type = bytes.loadHost(UInt16.self, at: offset + 2) & ~UInt16(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
      guard length >= 4, offset + length <= bytes.endIndex else { break }
      if type == wanted { found = bytes[offset + 4..<offset + length] }
      offset += Int(cnl_nla_align(UInt32(length)))
    }
    return found
  }

  subscript(type: Int32) -> ArraySlice<UInt8>? { value(UInt16(type)) }
  subscript(type: UInt32) -> ArraySlice<UInt8>? { value(UInt16(type)) }

  func u8(_ type: Int32) -> UInt8? { self[type]?.first }
  func u32(_ type: UInt32) -> UInt32? {
    self[type].flatMap { $0.count >= 4 ? $0.loadHost(UInt32.self, at: $0.startIndex) : nil }
  }
  func u32(_ type: Int32) -> UInt32? { u32(UInt32(type)) }
  func string(_ type: Int32) -> String? { self[type].map(String.init(nulTerminated:)) }
}

extension String {
  /// Decodes a C string attribute, stopping at the first NUL.
  init(nulTerminated bytes: some Collection<UInt8>) {
    self = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  }
}

extension Collection<UInt8> where Index == Int {
  /// Reads a host-order integer at an absolute index (netlink headers and most attributes are host order).
  func loadHost<T: FixedWidthInteger>(_: T.Type, at index: Int) -> T {
    var value: T = 0
    withUnsafeMutableBytes(of: &value) { raw in
      for byte in 0..<MemoryLayout<T>.size { raw[byte] = self[index + byte] }
    }
    return value
  }
}
