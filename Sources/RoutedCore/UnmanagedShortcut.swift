/// Decides from raw bytes, before any parsing, that a domain cannot be one routed-hook manages.
///
/// Most hook calls on a host are for domains that are none of routed-hook's business, and parsing config and
/// XML costs them more than starting the process. A NIC is managed only when it has an address, which comes
/// from `urn:routed-hook:1` metadata or from the config's `domains:`; without either, and without a record
/// to clean up, nothing can be managed. Anything unusual falls back to full parsing, and a document the full
/// parse would refuse is never taken for unmanaged: the shortcut and the parser give one verdict.
public enum UnmanagedShortcut {
  /// True only when the domain certainly has no managed NIC. `hasRecord` is asked for the domain's UUID.
  public static func applies(domainXML xml: [UInt8], config: [UInt8], hasRecord: (String) -> Bool) -> Bool {
    // `domains` could hide behind a YAML escape (`"\x64omains"`); a config with any backslash is parsed.
    guard !contains(config, "domains"), !contains(config, "\\"), !contains(xml, DomainXML.metadataNamespace),
      // Character references could spell the namespace in another way; never guess around them.
      !contains(xml, "&#")
    else { return false }
    guard let head = domainHead(xml), !hasRecord(head.uuid) else { return false }
    // Last, as the costliest: a truncated or broken document is refused by the parser, so never waved through.
    return xml.count <= DomainXML.maximumSize && XMLReader.isWellFormed(xml)
  }

  /// The name and UUID of a domain document that opens the way libvirt writes it: `<domain …>`, `<name>`,
  /// then `<uuid>`, with only whitespace between. Nil for anything else (a comment, a processing instruction
  /// or another element first could hide a `<uuid>` that is not the domain's), so the caller parses.
  public static func domainHead(_ xml: [UInt8]) -> (name: String, uuid: String)? {
    var index = 0
    func skipSpace() {
      while index < xml.count, [0x20, 0x09, 0x0A, 0x0D].contains(xml[index]) { index += 1 }
    }
    func literal(_ text: StaticString) -> Bool {
      let count = text.utf8CodeUnitCount
      guard index + count <= xml.count,
        text.withUTF8Buffer({ xml[index..<index + count].elementsEqual($0) })
      else { return false }
      index += count
      return true
    }
    /// Plain text up to `<`: no markup, no references (they would need the parser).
    func text() -> String? {
      let start = index
      while index < xml.count, xml[index] != UInt8(ascii: "<") {
        if xml[index] == UInt8(ascii: "&") { return nil }
        index += 1
      }
      return index < xml.count ? String(decoding: xml[start..<index], as: UTF8.self) : nil
    }
    skipSpace()
    guard literal("<domain"), index < xml.count else { return nil }
    // The start tag's attributes, quoted values skipped whole (a value may hold `>`; `<` is malformed and a
    // reference would need the parser).
    var quote: UInt8 = 0
    while index < xml.count {
      let byte = xml[index]
      index += 1
      if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") { return nil }
      if quote != 0 {
        if byte == quote { quote = 0 }
      } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
        quote = byte
      } else if byte == UInt8(ascii: "/") {
        return nil
      } else if byte == UInt8(ascii: ">") {
        break
      }
    }
    guard index > 7, xml[index - 1] == UInt8(ascii: ">"), [0x20, 0x09, 0x0A, 0x0D, 0x3E].contains(xml[7])
    else { return nil }
    skipSpace()
    guard literal("<name>"), let name = text()?.trimmed, literal("</name>") else { return nil }
    skipSpace()
    guard literal("<uuid>"), let uuidText = text(), literal("</uuid>") else { return nil }
    let uuid = uuidText.trimmed.lowercased()
    return UUIDText.isValid(uuid) && !name.isEmpty ? (name, uuid) : nil
  }

  static func contains(_ bytes: [UInt8], _ text: String) -> Bool { find(bytes, text) != nil }

  static func find(_ bytes: [UInt8], _ text: String, from start: Int = 0) -> Int? {
    let needle = Array(text.utf8)
    guard let first = needle.first, bytes.count >= needle.count else { return nil }
    var index = start
    while index <= bytes.count - needle.count {
      if bytes[index] == first && bytes[index..<index + needle.count].elementsEqual(needle) { return index }
      index += 1
    }
    return nil
  }
}
