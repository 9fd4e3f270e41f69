/// Decides from raw bytes, before any parsing, that a domain cannot be one routed-hook manages.
///
/// Most hook calls on a host are for domains that are none of routed-hook's business, and parsing config and
/// XML costs them more than starting the process. A NIC is managed only when it has an address, which comes
/// from `urn:routed-hook:1` metadata or from the config's `domains:`; without either, and without a record
/// to clean up, nothing can be managed. Anything unusual falls back to full parsing.
public enum UnmanagedShortcut {
  /// True only when the domain certainly has no managed NIC. `hasRecord` is asked for the domain's UUID.
  public static func applies(domainXML xml: [UInt8], config: [UInt8], hasRecord: (String) -> Bool) -> Bool {
    guard !contains(config, "domains"), !contains(xml, DomainXML.metadataNamespace),
      // Character references could spell the namespace in another way; never guess around them.
      !contains(xml, "&#")
    else { return false }
    guard let uuid = domainUUID(xml) else { return false }
    return !hasRecord(uuid)
  }

  /// The text of the first `<uuid>`, which libvirt writes right after `<name>`, before any device or metadata.
  /// Nil when a comment or CDATA section comes first, since either could hide a `<uuid>` that is not the domain's.
  public static func domainUUID(_ xml: [UInt8]) -> String? {
    guard let open = find(xml, "<uuid>"), let close = find(xml, "</uuid>", from: open) else { return nil }
    for marker in ["<devices", "<metadata", "<!--", "<![CDATA["] {
      if let other = find(xml, marker), other < open { return nil }
    }
    let text = String(decoding: xml[(open + 6)..<close], as: UTF8.self).trimmed.lowercased()
    return UUIDText.isValid(text) ? text : nil
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
