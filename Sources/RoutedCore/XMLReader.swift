/// An element of a parsed XML document: what the domain and hook-data readers walk.
final class XMLElementNode {
  let name: String
  /// The namespace URI, nil for unqualified elements (all of libvirt's own).
  let namespace: String?
  /// Attributes by their name as written (`mac`, `address`); namespace declarations are not among them.
  let attributes: [String: String]
  var children: [XMLElementNode] = []
  var text = ""

  init(name: String, namespace: String?, attributes: [String: String]) {
    self.name = name
    self.namespace = namespace
    self.attributes = attributes
  }

  func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name && $0.namespace == nil } }
  func children(named name: String) -> [XMLElementNode] {
    children.filter { $0.name == name && $0.namespace == nil }
  }
  func attribute(_ name: String) -> String? { attributes[name] }

  /// Parses a whole document strictly (well-formedness and namespaces), or throws one line with the line number.
  ///
  /// Hand-written instead of Foundation's: `XMLDocument` on Linux recovers from truncated input, which a
  /// hook must never do, and Foundation's start-up costs the hook more than all its work. Tests compare
  /// it with libxml2 (through `XMLParser`) on every fixture and thousands of truncations and mutations.
  static func parse(_ data: [UInt8]) throws(DomainXMLError) -> XMLElementNode {
    var reader = XMLReader(data)
    do {
      return try reader.document()
    } catch {
      throw DomainXMLError("malformed domain XML: \(error.reason) (line \(reader.line(at: error.offset)))")
    }
  }
}

/// A well-formedness error at a byte offset.
struct XMLSyntaxError: Error {
  var reason: String
  var offset: Int
}

/// A strict, non-validating XML 1.0 reader with namespaces. No DTDs: libvirt never writes one, and
/// refusing them rules out entity expansion attacks.
struct XMLReader {
  private let bytes: [UInt8]
  private var position = 0
  /// False for a well-formedness check alone: no tree, no attribute table.
  private var building = true

  /// libxml2's own default limit; it also keeps the tree's recursive release off the end of the stack.
  static let maximumDepth = 256
  /// Stands for every element when no tree is built; never changed (every mutation checks `building`).
  nonisolated(unsafe) private static let unbuilt = XMLElementNode(name: "", namespace: nil, attributes: [:])
  /// Namespace bindings in scope at once; libvirt's documents use a handful.
  static let maximumNamespaces = 64

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Whether `bytes` is a document `XMLElementNode.parse` accepts, without building its tree: the unmanaged
  /// shortcut's check that it is not looking at a broken document the full parse would refuse.
  static func isWellFormed(_ bytes: [UInt8]) -> Bool {
    var reader = XMLReader(bytes)
    reader.building = false
    return (try? reader.document()) != nil
  }

  func line(at offset: Int) -> Int { 1 + bytes[..<min(offset, bytes.count)].lazy.filter { $0 == 0x0A }.count }

  mutating func document() throws(XMLSyntaxError) -> XMLElementNode {
    guard String(validating: bytes, as: UTF8.self) != nil else {
      throw fail("the input is not valid UTF-8", at: 0)
    }
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    if starts(with: "<?xml") && isSpace(at: position + 5) {
      try skipProcessingInstruction(allowDeclaration: true)
    }
    try skipMisc()
    guard position < bytes.count else { throw fail("no root element") }
    guard starts(with: "<"), !starts(with: "</") else {
      throw fail("the document does not start with an element")
    }
    let root = try elements()
    try skipMisc()
    guard position == bytes.count else { throw fail("content after the root element") }
    return root
  }

  /// The root element and everything inside it, iteratively so that deep nesting cannot overflow the stack.
  private mutating func elements() throws(XMLSyntaxError) -> XMLElementNode {
    var open: [(node: XMLElementNode, qualifiedName: String, scope: NamespaceScope)] = []
    var root: XMLElementNode?
    while true {
      if starts(with: "</") {
        let start = position
        position += 2
        let name = try readName()
        skipSpace()
        try expect(">")
        guard let top = open.popLast() else { throw fail("an end tag without a start tag", at: start) }
        guard top.qualifiedName == name else {
          throw fail("end tag </\(name)> does not match <\(top.qualifiedName)>", at: start)
        }
        if open.isEmpty { return top.node }
      } else if starts(with: "<!--") {
        try skipComment()
      } else if starts(with: "<![CDATA[") {
        position += 9
        guard let end = find("]]>") else { throw fail("an unterminated CDATA section") }
        if building { open.last?.node.text += String(decoding: bytes[position..<end], as: UTF8.self) }
        position = end + 3
      } else if starts(with: "<?") {
        try skipProcessingInstruction(allowDeclaration: false)
      } else if starts(with: "<!") {
        throw fail("DOCTYPE and other declarations are not allowed")
      } else if starts(with: "<") {
        let (node, qualifiedName, scope, empty) = try startTag(scope: open.last?.scope ?? NamespaceScope())
        if !building {
          root = node
        } else if let parent = open.last?.node {
          parent.children.append(node)
        } else {
          root = node
        }
        if empty {
          if open.isEmpty { return root! }
        } else {
          guard open.count < Self.maximumDepth else {
            throw fail("elements nested deeper than \(Self.maximumDepth)")
          }
          open.append((node, qualifiedName, scope))
        }
      } else {
        guard let top = open.last else { throw fail("content after the root element") }
        let text = try characterData()
        if building { top.node.text += text }
      }
      if position >= bytes.count {
        throw fail("the document ends inside <\(open.last?.qualifiedName ?? "?")>")
      }
    }
  }

  private mutating func startTag(scope outer: NamespaceScope) throws(XMLSyntaxError) -> (
    XMLElementNode, String, NamespaceScope, Bool
  ) {
    let start = position
    position += 1
    let qualifiedName = try readName()
    var attributes: [(name: String, value: String, offset: Int)] = []
    var seen: [String: String] = [:]
    var scope = outer
    while true {
      let hadSpace = skipSpace()
      if starts(with: "/>") || starts(with: ">") { break }
      guard position < bytes.count else { throw fail("the document ends inside <\(qualifiedName)>") }
      guard hadSpace else { throw fail("attributes of <\(qualifiedName)> must be separated by spaces") }
      let offset = position
      let name = try readName()
      skipSpace()
      try expect("=")
      skipSpace()
      let value = try attributeValue()
      // By hash past a few, not by a scan of all before: 160,000 attributes took 20 s.
      if attributes.count == 8 { for attribute in attributes { seen[attribute.name] = "" } }
      let repeated =
        attributes.count < 8
        ? attributes.contains(where: { $0.name == name }) : seen.updateValue("", forKey: name) != nil
      guard !repeated else {
        throw fail("attribute \(name) appears twice in <\(qualifiedName)>", at: offset)
      }
      attributes.append((name, value, offset))
      if name == "xmlns" {
        scope[""] = value
      } else if name.hasPrefix("xmlns:") {
        guard !value.isEmpty else {
          throw fail("namespace prefix \(name.dropFirst(6)) bound to nothing", at: offset)
        }
        scope[String(name.dropFirst(6))] = value
      }
      // Each element that declares a namespace copies the bindings in scope: bounded, or a few thousand
      // declarations on the root and as many children declaring one more would take time quadratic in size.
      guard scope.count <= Self.maximumNamespaces else {
        throw fail("more than \(Self.maximumNamespaces) namespace prefixes in scope", at: offset)
      }
    }
    let empty = starts(with: "/>")
    position += empty ? 2 : 1
    let (prefix, local) = split(qualifiedName)
    let namespace: String?
    if let prefix {
      guard let uri = scope[prefix] else {
        throw fail("namespace prefix \(prefix) is not declared", at: start)
      }
      namespace = uri
    } else {
      namespace = scope[""].flatMap { $0.isEmpty ? nil : $0 }
    }
    var plain: [String: String] = [:]
    for attribute in attributes where attribute.name != "xmlns" && !attribute.name.hasPrefix("xmlns:") {
      if let prefix = split(attribute.name).prefix, prefix != "xml", scope[prefix] == nil {
        throw fail("namespace prefix \(prefix) is not declared", at: attribute.offset)
      }
      if building { plain[attribute.name] = attribute.value }
    }
    let node = building ? XMLElementNode(name: local, namespace: namespace, attributes: plain) : Self.unbuilt
    return (node, qualifiedName, scope, empty)
  }

  private mutating func attributeValue() throws(XMLSyntaxError) -> String {
    guard position < bytes.count, bytes[position] == 0x22 || bytes[position] == 0x27 else {
      throw fail("an attribute value must be quoted")
    }
    let quote = bytes[position]
    position += 1
    var value: [UInt8] = []
    while true {
      guard position < bytes.count else { throw fail("an unterminated attribute value") }
      let byte = bytes[position]
      switch byte {
      case quote:
        position += 1
        return String(decoding: value, as: UTF8.self)
      case 0x3C: throw fail("'<' inside an attribute value")
      case 0x26: value += try reference()
      case 0x09, 0x0A, 0x0D:
        value.append(0x20)
        position += 1
      default:
        guard byte >= 0x20 else { throw fail("a control character inside an attribute value") }
        value.append(byte)
        position += 1
      }
    }
  }

  private mutating func characterData() throws(XMLSyntaxError) -> String {
    var text: [UInt8] = []
    while position < bytes.count, bytes[position] != 0x3C {
      let byte = bytes[position]
      if byte == 0x26 {
        let character = try reference()
        if building { text += character }
        continue
      }
      if byte == 0x5D && starts(with: "]]>") { throw fail("']]>' in text") }
      guard byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else {
        throw fail("a control character in text")
      }
      if building { text.append(byte) }
      position += 1
    }
    return building ? String(decoding: text, as: UTF8.self) : ""
  }

  /// `&amp;` and friends, `&#10;`, `&#x41;`; other entities would need a DTD.
  private mutating func reference() throws(XMLSyntaxError) -> [UInt8] {
    let start = position
    position += 1
    guard let end = bytes[position...].prefix(12).firstIndex(of: 0x3B) else {
      throw fail("an unterminated '&' reference", at: start)
    }
    let name = String(decoding: bytes[position..<end], as: UTF8.self)
    position = end + 1
    switch name {
    case "lt": return [0x3C]
    case "gt": return [0x3E]
    case "amp": return [0x26]
    case "apos": return [0x27]
    case "quot": return [0x22]
    default:
      var code: UInt32?
      if name.hasPrefix("#x") {
        code = UInt32(name.dropFirst(2), radix: 16)
      } else if name.hasPrefix("#") {
        code = UInt32(name.dropFirst(), radix: 10)
      }
      guard let code, let scalar = Unicode.Scalar(code),
        code == 0x09 || code == 0x0A || code == 0x0D || (code >= 0x20 && code != 0xFFFE && code != 0xFFFF)
      else { throw fail("unknown or invalid reference &\(name);", at: start) }
      return Array(String(Character(scalar)).utf8)
    }
  }

  private mutating func skipMisc() throws(XMLSyntaxError) {
    while true {
      skipSpace()
      if starts(with: "<!--") {
        try skipComment()
      } else if starts(with: "<?") {
        try skipProcessingInstruction(allowDeclaration: false)
      } else if starts(with: "<!") {
        throw fail("DOCTYPE and other declarations are not allowed")
      } else {
        return
      }
    }
  }

  private mutating func skipComment() throws(XMLSyntaxError) {
    let start = position
    position += 4
    guard let end = find("--") else { throw fail("an unterminated comment", at: start) }
    guard end + 2 < bytes.count, bytes[end + 2] == 0x3E else { throw fail("'--' inside a comment", at: end) }
    position = end + 3
  }

  private mutating func skipProcessingInstruction(allowDeclaration: Bool) throws(XMLSyntaxError) {
    let start = position
    position += 2
    let target = try readName()
    if target.lowercased() == "xml"
      && !(allowDeclaration && start == (bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0))
    {
      throw fail("an XML declaration that is not at the very start", at: start)
    }
    guard let end = find("?>") else { throw fail("an unterminated processing instruction", at: start) }
    position = end + 2
  }

  private mutating func readName() throws(XMLSyntaxError) -> String {
    let start = position
    while position < bytes.count {
      let byte = bytes[position]
      let isStart =
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A
        || byte >= 0x80
      let isName = isStart || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E
      guard position == start ? isStart : isName else { break }
      position += 1
    }
    guard position > start else { throw fail("a name was expected") }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  @discardableResult
  private mutating func skipSpace() -> Bool {
    let start = position
    while isSpace(at: position) { position += 1 }
    return position > start
  }

  private func isSpace(at index: Int) -> Bool {
    index < bytes.count
      && (bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D)
  }

  private mutating func expect(_ text: StaticString) throws(XMLSyntaxError) {
    guard starts(with: text) else { throw fail("'\(text)' expected") }
    position += text.utf8CodeUnitCount
  }

  private func starts(with text: StaticString) -> Bool {
    let count = text.utf8CodeUnitCount
    guard position + count <= bytes.count else { return false }
    // By hand: the generic elementsEqual was a tenth of an unmanaged hook call's well-formedness check.
    return text.withUTF8Buffer { needle in
      for offset in 0..<count where bytes[position + offset] != needle[offset] { return false }
      return true
    }
  }

  private func find(_ text: StaticString) -> Int? {
    text.withUTF8Buffer { needle in
      var index = position
      while index + needle.count <= bytes.count {
        if bytes[index] == needle[0] && bytes[index..<index + needle.count].elementsEqual(needle) {
          return index
        }
        index += 1
      }
      return nil
    }
  }

  private func split(_ name: String) -> (prefix: String?, local: String) {
    // On UTF-8: a Character search costs 2,000 instructions a name (a fifth of an unmanaged call's check).
    guard let colon = name.utf8.firstIndex(of: UInt8(ascii: ":")) else { return (nil, name) }
    return (String(name[..<colon]), String(name[name.index(after: colon)...]))
  }

  private func fail(_ reason: String, at offset: Int? = nil) -> XMLSyntaxError {
    XMLSyntaxError(reason: reason, offset: offset ?? position)
  }
}

/// Namespace bindings in scope, newest last. An array, not a dictionary: at most `maximumNamespaces` long,
/// and the unmanaged shortcut's well-formedness check must not pay for a hashed key type (see README).
struct NamespaceScope {
  private var bindings: [(prefix: String, uri: String)] = []

  var count: Int { bindings.count }

  subscript(prefix: String) -> String? {
    get { bindings.last(where: { $0.prefix == prefix })?.uri }
    set { bindings.append((prefix, newValue ?? "")) }
  }
}
