import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A minimal element tree built with the strict SAX parser.
///
/// `XMLDocument` on Linux parses in libxml2's recover mode and accepts truncated input; a hook that read
/// half a domain would then miss NICs silently, so parsing goes through `XMLParser`, which does not.
final class XMLNode {
  let name: String
  let namespace: String?
  let attributes: [String: String]
  var children: [XMLNode] = []
  var text = ""

  init(name: String, namespace: String?, attributes: [String: String]) {
    self.name = name
    self.namespace = namespace
    self.attributes = attributes
  }

  func child(_ name: String) -> XMLNode? { children.first { $0.name == name && $0.namespace == nil } }
  func children(named name: String) -> [XMLNode] { children.filter { $0.name == name && $0.namespace == nil } }
  func attribute(_ name: String) -> String? { attributes[name] }

  /// Parses `data`, or throws a one-line reason with the line number.
  static func parse(_ data: [UInt8]) throws(DomainXMLError) -> XMLNode {
    let builder = TreeBuilder()
    let parser = XMLParser(data: Data(data))
    parser.shouldProcessNamespaces = true
    parser.delegate = builder
    let finished = parser.parse()
    if !finished || parser.parserError != nil || builder.root == nil {
      let code = (parser.parserError as NSError?)?.code ?? 0
      throw DomainXMLError("malformed domain XML: \(reason(code)) (line \(parser.lineNumber))")
    }
    return builder.root!
  }

  /// libxml2's error numbers for the mistakes a truncated or hand-edited XML makes.
  static func reason(_ code: Int) -> String {
    switch code {
    case 4: "no element where the document should start"
    case 5: "the document ends early or has content after its root element"
    case 73: "'>' expected"
    case 76: "an end tag does not match its start tag"
    case 0: "no root element"
    default: "libxml2 error \(code)"
    }
  }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
  var root: XMLNode?
  private var stack: [XMLNode] = []

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    let node = XMLNode(
      name: elementName, namespace: namespaceURI.flatMap { $0.isEmpty ? nil : $0 }, attributes: attributes)
    if let parent = stack.last { parent.children.append(node) } else { root = node }
    stack.append(node)
  }

  func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
    stack.removeLast()
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    stack.last?.text += string
  }
}
