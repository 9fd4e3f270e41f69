import Foundation
import Testing

@testable import RoutedCore

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The hand-written XML reader against libxml2 (through `XMLParser`): same verdict, same tree.
@Suite struct XMLReaderTests {
  /// libxml2's view of a document: nil when it is not well-formed, else a flat dump of the tree.
  static func libxml2(_ bytes: [UInt8]) -> [String]? {
    final class Dump: NSObject, XMLParserDelegate {
      var lines: [String] = []
      var text: [String] = [""]
      func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
      ) {
        let ns = namespaceURI.flatMap { $0.isEmpty ? nil : $0 } ?? "-"
        let plain = attributes.filter { !$0.key.hasPrefix("xmlns") }.sorted { $0.key < $1.key }
        lines.append("<\(name) \(ns) \(plain.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        text.append("")
      }
      func parser(
        _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
      ) {
        lines.append("text \(text.removeLast().trimmingCharacters(in: .whitespacesAndNewlines))")
        lines.append("</\(name)")
      }
      func parser(_ parser: XMLParser, foundCharacters string: String) { text[text.count - 1] += string }
      func parser(_ parser: XMLParser, foundCDATA block: Data) {
        text[text.count - 1] += String(decoding: block, as: UTF8.self)
      }
    }
    let parser = XMLParser(data: Data(bytes))
    parser.shouldProcessNamespaces = true
    let dump = Dump()
    parser.delegate = dump
    guard parser.parse(), parser.parserError == nil else { return nil }
    return dump.lines
  }

  static func ours(_ bytes: [UInt8]) -> [String]? {
    guard let root = try? XMLElementNode.parse(bytes) else { return nil }
    var lines: [String] = []
    func walk(_ node: XMLElementNode) {
      let plain = node.attributes.sorted { $0.key < $1.key }
      lines.append(
        "<\(node.name) \(node.namespace ?? "-") \(plain.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
      )
      node.children.forEach(walk)
      lines.append("text \(node.text.trimmingCharacters(in: .whitespacesAndNewlines))")
      lines.append("</\(node.name)")
    }
    walk(root)
    return lines
  }

  static let fixtures = [
    "web01.xml", "web01-release.xml", "app02-two-networks.xml", "ethernet.xml", "nometa.xml", "lxc.xml",
  ]

  @Test(arguments: fixtures)
  func fixturesParseTheSame(name: String) throws {
    let bytes = Array(Fixture.text(name).utf8)
    let reference = try #require(Self.libxml2(bytes))
    #expect(Self.ours(bytes) == reference)
  }

  @Test(arguments: fixtures)
  func everyTruncationIsRefusedLikeLibxml2(name: String) {
    let bytes = Array(Fixture.text(name).utf8)
    var disagreements: [Int] = []
    // Below 4 bytes XMLParser feeds libxml2 too little to judge and accepts anything, even "<d".
    for length in 4..<bytes.count
    where (Self.ours(Array(bytes[..<length])) == nil) != (Self.libxml2(Array(bytes[..<length])) == nil) {
      disagreements.append(length)
    }
    #expect(disagreements.isEmpty, "truncations where we and libxml2 disagree: \(disagreements.prefix(10))")
  }

  @Test(arguments: fixtures)
  func singleByteDeletionsAgreeWithLibxml2(name: String) {
    let bytes = Array(Fixture.text(name).utf8)
    var disagreements: [String] = []
    for index in bytes.indices {
      var mutated = bytes
      mutated.remove(at: index)
      let (a, b) = (Self.ours(mutated), Self.libxml2(mutated))
      if a != b {
        disagreements.append(
          "\(index): ours \(a == nil ? "refused" : "accepted"), libxml2 \(b == nil ? "refused" : "accepted")")
      }
    }
    #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
  }

  @Test(arguments: [
    "<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;</a>",
    "<a b='1' c=\"2\"/>",
    "<?xml version='1.0' encoding='UTF-8'?>\n<!-- c --><a><![CDATA[<x>]]></a><?pi data?>",
    "<p:a xmlns:p='urn:x'><p:b/><c/></p:a>",
    "<a xmlns='urn:d'><b/></a>",
    "<a>&unknown;</a>",
    "<a b='1' b='2'/>",
    "<p:a/>",
    "<a><b></a></b>",
    "<a/><b/>",
    "<a b=1/>",
    "<a>]]></a>",
    "<a><!-- x -- y --></a>",
    "<a>\u{1}</a>",
    "<a b='<'/>",
    "  <?xml version='1.0'?><a/>",
    "<a>&#0;</a>",
    "<a bc/>",
    "<a\tb='x'\n/>",
  ])
  func handWrittenCasesAgreeWithLibxml2(xml: String) {
    #expect(Self.ours(Array(xml.utf8)) == Self.libxml2(Array(xml.utf8)), "\(xml)")
  }

  @Test func doctypeIsRefusedThoughLibxml2WouldExpandIt() {
    let xml = "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"
    #expect(throws: DomainXMLError.self) { try XMLElementNode.parse(Array(xml.utf8)) }
  }

  @Test func nestingIsLimitedLikeLibxml2sDefault() throws {
    func nested(_ depth: Int) -> [UInt8] {
      Array((String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)).utf8)
    }
    #expect(Self.ours(nested(256)) == Self.libxml2(nested(256)))
    // XMLParser lifts libxml2's limit (XML_PARSE_HUGE); the reader keeps it, so a hostile depth is refused.
    #expect(throws: DomainXMLError("malformed domain XML: elements nested deeper than 256 (line 1)")) {
      try XMLElementNode.parse(nested(100_000))
    }
  }

  @Test func errorsNameTheLine() {
    #expect(throws: DomainXMLError("malformed domain XML: end tag </b> does not match <a> (line 3)")) {
      try XMLElementNode.parse(Array("<a>\n\n</b>".utf8))
    }
  }
}
