/// Why a domain's XML could not be read.
public struct DomainXMLError: Error, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Parses the domain XML libvirt passes on stdin.
public enum DomainXML {
  /// libvirt documents no limit; 16 MiB is far above any real domain and bounds a runaway input.
  public static let maximumSize = 16 << 20
  /// The namespace of routed-hook's per-guest metadata.
  public static let metadataNamespace = "urn:routed-hook:1"

  /// Throws only for what makes the document unreadable (size, syntax, not a `<domain>`); what a domain lacks
  /// or gets wrong is recorded in the description, for `GuestResolver` to refuse if the domain is managed.
  public static func parse(_ data: [UInt8]) throws -> DomainDescription {
    guard data.count <= maximumSize else {
      throw DomainXMLError("domain XML is \(data.count) bytes, over the \(maximumSize >> 20) MiB limit")
    }
    var root = try XMLElementNode.parse(data)
    // libvirt's status files (/run/libvirt/qemu/NAME.xml) wrap the live domain in <domstatus>.
    if root.name == "domstatus", let domain = root.child("domain") { root = domain }
    // The network hook wraps the network in <hookData>; the qemu hook passes <domain> directly.
    guard root.name == "domain" else {
      throw DomainXMLError("expected a <domain> document, found <\(root.name)>")
    }
    let name = root.child("name")?.text.trimmed ?? ""
    let uuid = root.child("uuid")?.text.trimmed.lowercased() ?? ""
    let identityProblem =
      name.isEmpty
      ? "domain XML has no <name>"
      : UUIDText.isValid(uuid) ? nil : "domain \(name): <uuid> '\(uuid)' is not a UUID"

    let interfaces = (root.child("devices")?.children(named: "interface") ?? []).map { element in
      let macText = element.child("mac")?.attribute("address")
      let mac = macText.flatMap(MACAddress.init)
      let source = element.child("source")
      return DomainInterface(
        type: element.attribute("type") ?? "",
        mac: mac,
        sourceBridge: source?.attribute("bridge"),
        sourceNetwork: source?.attribute("network"),
        targetDevice: element.child("target")?.attribute("dev"),
        virtualPort: element.child("virtualport")?.attribute("type"),
        problem: mac == nil
          ? macText.map { "domain \(name): <mac address='\($0)'> is not a MAC address" } : nil
      )
    }
    var metadata: [GuestAddress]?
    var metadataProblem: String?
    do {
      metadata = try self.metadata(of: root, domain: name)
    } catch {
      metadataProblem = "\(error)"
    }
    return DomainDescription(
      identity: DomainIdentity(name: name, uuid: uuid), interfaces: interfaces, metadata: metadata,
      identityProblem: identityProblem, metadataProblem: metadataProblem)
  }

  private static func metadata(of root: XMLElementNode, domain: String) throws -> [GuestAddress]? {
    let guests = root.child("metadata")?.children.filter {
      $0.namespace == metadataNamespace && $0.name == "guest"
    } ?? []
    guard let guest = guests.first else { return nil }
    // Two answers to one question: refused rather than the first silently winning.
    guard guests.count == 1 else {
      throw DomainXMLError("domain \(domain): metadata has \(guests.count) <rh:guest> elements; one is allowed")
    }
    let entries: [GuestAddress] = try guest.children.filter { $0.namespace == metadataNamespace && $0.name == "interface" }.map {
      element in
      func fail(_ what: String) -> DomainXMLError {
        DomainXMLError("domain \(domain): metadata <rh:interface>: \(what)")
      }
      guard let macText = element.attribute("mac"), let mac = MACAddress(macText) else {
        throw fail("mac '\(element.attribute("mac") ?? "")' is not a MAC address")
      }
      // Either family or both: `address` (IPv4) and `address6`.
      let addressText = element.attribute("address")
      let address6Text = element.attribute("address6")
      guard addressText != nil || address6Text != nil else {
        throw fail("\(mac) has neither address nor address6")
      }
      let address = try addressText.map { text in
        guard let address = IPv4Address(text) else {
          throw fail("address '\(text)' of \(mac) is not an IPv4 address")
        }
        return address
      }
      let address6 = try address6Text.map { text in
        guard let address = IPv6Address(text) else {
          throw fail("address6 '\(text)' of \(mac) is not an IPv6 address")
        }
        return address
      }
      let uplinks = element.attribute("uplinks").map { $0.split(separator: " ").map(String.init) }
      return GuestAddress(mac: mac, address: address, address6: address6, uplinks: uplinks)
    }
    // Sorted, not compared pairwise: a metadata block may hold thousands of entries within the size limit.
    let macs = entries.map { $0.mac.description }.sorted()
    for index in macs.indices.dropFirst() where macs[index] == macs[index - 1] {
      throw DomainXMLError("domain \(domain): metadata <rh:interface> for \(macs[index]) appears twice")
    }
    return entries
  }

}

/// Checks the canonical 8-4-4-4-12 hex form libvirt writes; records are named by it.
enum UUIDText {
  /// 8-4-4-4-12 hex digits. Checked byte by byte: key paths over computed properties (`\.count`,
  /// `\.isHexDigit`) are built at run time, on every hook call.
  static func isValid(_ text: String) -> Bool {
    var count = 0
    for byte in text.utf8 {
      switch count {
      case 8, 13, 18, 23:
        guard byte == UInt8(ascii: "-") else { return false }
      default:
        guard Self.isHexDigit(byte) else { return false }
      }
      count += 1
    }
    return count == 36
  }

  private static func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
      || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
      || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
  }
}

extension String {
  /// Without leading and trailing whitespace; written on UTF-8 indices because the generic
  /// `drop(while:).reversed()` instantiates type metadata that costs the hook a conformance scan.
  var trimmed: String {
    let bytes = utf8
    guard let first = bytes.firstIndex(where: { !Self.isSpace($0) }) else { return "" }
    let last = bytes.lastIndex(where: { !Self.isSpace($0) })!
    return String(self[first...last])
  }

  private static func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }
}
