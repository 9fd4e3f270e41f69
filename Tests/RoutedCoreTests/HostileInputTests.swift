import Foundation
import Testing

@testable import RoutedCore

/// Issue 11, part 4: hostile and broken input found by fuzzing, each defect held by a test here or in the
/// process and root suites (HookTests/HostileInputProcessTests, RoutedKernelTests/RecordStoreTests).
@Suite struct HostileInputTests {
  static let uuid = "0e2b5b1c-1111-4c1e-9d55-0d9a0f1e2b3c"

  static func domain(name: String, extra: String = "") -> String {
    """
    <domain type='kvm'><name>\(name)</name><uuid>\(uuid)</uuid>
    <metadata><rh:guest xmlns:rh="urn:routed-hook:1"><rh:interface mac="52:54:00:11:00:05" address="10.136.11.5"/>\(extra)</rh:guest></metadata>
    <devices><interface type='bridge'><mac address='52:54:00:11:00:05'/><source bridge='br-ex'/></interface></devices>
    </domain>
    """
  }

  /// Defect 2: a domain name of 128 bytes or more came back from the kernel cut to 127 bytes, so no element
  /// ever matched its record and `stopped` left them all. The comment is now bounded and unique, and names
  /// that fitted before keep exactly the comment they had.
  @Test func elementCommentsFitTheKernelAndStayUnique() throws {
    let long = String(repeating: "ä", count: 100)  // 200 bytes
    let identity = DomainIdentity(name: long, uuid: Self.uuid)
    let comment = ElementComment.of(identity)
    #expect(comment.utf8.count <= ElementComment.kernelLimit)
    #expect(comment == String(repeating: "ä", count: 45) + " " + Self.uuid)
    #expect(ElementComment.asStored(comment) == comment)
    let other = ElementComment.of(DomainIdentity(name: long, uuid: "1e2b5b1c-1111-4c1e-9d55-0d9a0f1e2b3c"))
    #expect(other != comment, "two long names alike in their first bytes still differ")
    #expect(ElementComment.of(DomainIdentity(name: "web01", uuid: Self.uuid)) == "web01")
    let fits = String(repeating: "w", count: 127)
    #expect(ElementComment.of(DomainIdentity(name: fits, uuid: Self.uuid)) == fits)
    // Every element the planner makes carries it.
    let domain = try DomainXML.parse(Array(Self.domain(name: long).utf8))
    let plan = try Planner.plan(.apply, domain: domain, config: Fixture.config, records: [], facts: Fixture.facts)
    let comments = plan.guestChanges.compactMap { change -> String? in
      if case .element(_, _, let comment) = change.object { comment } else { nil }
    }
    #expect(!comments.isEmpty && comments.allSatisfy { $0 == comment })
  }

  /// Defect 2, upgrade: a record written by an earlier version holds the whole long name, the kernel its
  /// first 127 bytes. Compared the way the kernel stores it, the two match, so the new binary removes a
  /// guest the old one started.
  @Test func aRecordWithAWholeLongNameMatchesWhatTheKernelKept() {
    let long = String(repeating: "n", count: 126) + "é" + "tail"  // the cut falls inside "é"
    let kernel = String(decoding: Array(long.utf8).prefix(127), as: UTF8.self)
    #expect(ElementComment.asStored(long) == kernel)
    let set = OwnedSet(table: .filter, name: "egress", keyType: .address)
    let recorded = KernelObject.element(set, SetElementKey(address: IPv4Address("10.136.11.5")!), comment: long)
    #expect(recorded.asStored == .element(set, SetElementKey(address: IPv4Address("10.136.11.5")!), comment: kernel))
  }

  /// Defect 12: a name with `"`, `\` or a newline was printed raw inside `comment "…"`, so a plan run as a
  /// script could be made to run anything. Element comments are now plain, and the plan escapes what is left.
  @Test func planOutputCannotBeInjected() throws {
    let name = "x\"; reboot; echo \"\\\nreboot"
    let xml = Self.domain(name: name.replacingOccurrences(of: "\"", with: "&quot;"))
    let domain = try DomainXML.parse(Array(xml.utf8))
    #expect(domain.identity.name == name)
    let comment = ElementComment.of(domain.identity)
    #expect(!comment.contains("\"") && !comment.contains("\\") && !comment.contains("\n"), "\(comment)")
    let plan = try Planner.plan(.apply, domain: domain, config: Fixture.config, records: [], facts: Fixture.facts)
    let text = PlanText.render(plan)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      #expect(!line.hasPrefix("reboot"), "an injected line: \(line)")
      if line.hasPrefix("nft add element") {
        #expect(line.filter { $0 == "\"" }.count == (line.contains(" . \"") ? 4 : 2), "\(line)")
      }
    }
    #expect(text.contains("# guest x\\x22; reboot; echo \\x22\\x5c\\x0areboot (\(Self.uuid))"), "\(text)")
    // A record from an earlier version may still hold such a comment: the plan shows it escaped.
    let set = OwnedSet(table: .filter, name: "egress", keyType: .address)
    let old = PlanText.objectText(.element(set, SetElementKey(address: IPv4Address("10.136.11.5")!), comment: name))
    #expect(!old.contains("\n") && old.filter { $0 == "\"" }.count == 2, "\(old)")
  }

  /// Defect 12: one error, one stderr line, whatever the input holds.
  @Test func errorTextsStayOnOneLine() {
    #expect(PlanText.escapedControls("domain a\nb: bad\r\u{1b}[2J") == "domain a\\x0ab: bad\\x0d\\x1b[2J")
    #expect(PlanText.escapedControls("plain") == "plain")
  }

  /// Defect 10: two metadata entries for one MAC (the first silently won) and a second `<rh:guest>`. The parser
  /// keeps the problem (a domain with no managed NIC is ignored whatever it holds) and a domain whose NIC is on
  /// a guest network is refused for it.
  @Test(arguments: [
    (
      HostileInputTests.domain(name: "x", extra: "<rh:interface mac=\"52:54:00:11:00:05\" address=\"10.136.11.6\"/>"),
      "domain x: metadata <rh:interface> for 52:54:00:11:00:05 appears twice"
    ),
    (
      HostileInputTests.domain(name: "x").replacingOccurrences(
        of: "</metadata>",
        with: "<rh:guest xmlns:rh=\"urn:routed-hook:1\"><rh:interface mac=\"52:54:00:11:00:06\" "
          + "address=\"10.136.11.6\"/></rh:guest></metadata>"),
      "domain x: metadata has 2 <rh:guest> elements; one is allowed"
    ),
  ])
  func ambiguousMetadataIsRefused(xml: String, message: String) throws {
    let domain = try DomainXML.parse(Array(xml.utf8))
    #expect(domain.metadataProblem == message && domain.metadata == nil)
    #expect(throws: DomainError(message)) {
      try GuestResolver.managedInterfaces(of: domain, config: Fixture.config)
    }
    #expect(throws: DomainError(message)) {
      try Planner.plan(.validate, domain: domain, config: Fixture.config, records: [], facts: Fixture.facts)
    }
  }

  /// Defect 7: 160,000 attributes (1.6 MB) took 20 s: each was compared with every one before it. The
  /// duplicate check still holds at that size. Times are in bench/parsing.sh, not asserted here.
  @Test(.timeLimit(.minutes(1))) func manyAttributesParseAndDuplicatesAreStillFound() throws {
    var tag = "<domain><name>x</name><uuid>\(Self.uuid)</uuid><devices "
    for index in 0..<160_000 { tag += " a\(index)='v'" }
    let xml = tag + "/></domain>"
    #expect(xml.utf8.count > 1_600_000)
    _ = try DomainXML.parse(Array(xml.utf8))
    let duplicate = tag + " a123='w'/></domain>"
    #expect(throws: DomainXMLError.self) { try DomainXML.parse(Array(duplicate.utf8)) }
    #expect(!XMLReader.isWellFormed(Array(duplicate.utf8)))
    // Namespace bindings in scope are bounded, so children declaring one more each cannot go quadratic.
    let prefixes = (0..<65).map { " xmlns:p\($0)='urn:p\($0)'" }.joined()
    #expect(throws: DomainXMLError.self) {
      try DomainXML.parse(Array("<domain\(prefixes)><name>x</name></domain>".utf8))
    }
  }

  /// The well-formedness check the unmanaged shortcut uses gives the full parser's verdict on every fixture,
  /// every truncation of one, and single-byte deletions.
  @Test(arguments: XMLReaderTests.fixtures)
  func wellFormednessAgreesWithTheParser(name: String) {
    let bytes = Array(Fixture.text(name).utf8)
    func agree(_ candidate: [UInt8]) -> Bool {
      XMLReader.isWellFormed(candidate) == ((try? XMLElementNode.parse(candidate)) != nil)
    }
    #expect(agree(bytes))
    for cut in stride(from: 0, to: bytes.count, by: 7) { #expect(agree(Array(bytes[..<cut])), "cut at \(cut)") }
    for index in stride(from: 0, to: bytes.count, by: 5) {
      var mutated = bytes
      mutated.remove(at: index)
      #expect(agree(mutated), "deleted byte \(index)")
    }
  }
}
