import Foundation
import Testing

@testable import RoutedCore

@Suite struct UnmanagedShortcutTests {
  let plainConfig = Array("guestNetworks: []\n".utf8)
  let foreign = Array(
    Fixture.text("web01.xml").replacingOccurrences(
      of: "<rh:interface mac=\"52:54:00:11:00:05\" address=\"10.136.11.5\"/>", with: ""
    )
    .replacingOccurrences(of: "urn:routed-hook:1", with: "urn:other:1").utf8)

  @Test func aDomainWithoutMetadataOnAHostWithoutDomainsIsSkipped() {
    #expect(UnmanagedShortcut.applies(domainXML: foreign, config: plainConfig) { _ in false })
  }

  @Test func ourMetadataConfigDomainsARecordOrReferencesMeanParse() {
    #expect(
      !UnmanagedShortcut.applies(domainXML: Array(Fixture.text("web01.xml").utf8), config: plainConfig) { _ in
        false
      })
    #expect(
      !UnmanagedShortcut.applies(domainXML: foreign, config: Array("domains:\n  x: []\n".utf8)) { _ in false }
    )
    #expect(
      !UnmanagedShortcut.applies(domainXML: foreign, config: plainConfig) {
        $0 == "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c"
      })
    let referenced = foreign + Array("<!-- &#117; -->".utf8)
    #expect(!UnmanagedShortcut.applies(domainXML: referenced, config: plainConfig) { _ in false })
  }

  @Test func theUUIDMustBeTheDomainsOwn() {
    #expect(UnmanagedShortcut.domainHead(foreign)?.uuid == "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")
    #expect(UnmanagedShortcut.domainHead(foreign)?.name == "web01")
    let late = Array(
      "<domain><name>x</name><devices><uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid></devices></domain>"
        .utf8)
    #expect(UnmanagedShortcut.domainHead(late) == nil)
    #expect(UnmanagedShortcut.domainHead(Array("<domain><uuid>nope</uuid></domain>".utf8)) == nil)
    let commented = Array(
      "<domain><!-- <uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid> --><uuid>0e2b5b1c-1111-4c1e-9d55-0d9a0f1e2b3c</uuid></domain>"
        .utf8)
    #expect(UnmanagedShortcut.domainHead(commented) == nil)
  }

  /// Issue 11, defect 3: a processing instruction (or a comment, or any element) before the real `<uuid>` that
  /// holds another domain's `<uuid>` made `stopped` remove that other domain. The shortcut now takes the
  /// UUID only where the full parse would find the same one.
  @Test func aUUIDHiddenInAProcessingInstructionOrElementIsNotTheDomains() throws {
    let real = "0e2b5b1c-1111-4c1e-9d55-0d9a0f1e2b3c"
    let other = "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c"
    let hiding = [
      "<?hide <uuid>\(other)</uuid> ?><domain type='kvm'><name>x</name><uuid>\(real)</uuid></domain>",
      "<domain type='kvm'><?hide <uuid>\(other)</uuid> ?><name>x</name><uuid>\(real)</uuid></domain>",
      "<domain type='kvm'><name>x</name><?hide <uuid>\(other)</uuid> ?><uuid>\(real)</uuid></domain>",
      "<domain type='kvm'><name>x</name><title><uuid>\(other)</uuid></title><uuid>\(real)</uuid></domain>",
      "<domain type='kvm'><name>x<!-- --></name><uuid>\(other)</uuid></domain>",
      "<domain type='kvm' a='<'><name>x</name><uuid>\(other)</uuid></domain>",
    ]
    for text in hiding {
      let bytes = Array(text.utf8)
      let head = UnmanagedShortcut.domainHead(bytes)
      // Never the other domain's UUID unless the full parse agrees.
      if let head {
        #expect(try DomainXML.parse(bytes).identity.uuid == head.uuid, "\(text)")
      }
      #expect(head?.uuid != other || (try? DomainXML.parse(bytes).identity.uuid) == other, "\(text)")
    }
    // What libvirt writes is still recognised without a parse.
    let libvirt = Array("<domain type='kvm' id='7'>\n  <name>x</name>\n  <uuid>\(real)</uuid>\n</domain>\n".utf8)
    #expect(UnmanagedShortcut.domainHead(libvirt)?.uuid == real)
  }

  /// Issue 11, defect 9: the shortcut and the full parse give one verdict. A config that spells `domains`
  /// with an escape is parsed (and routes the domain), and a document the parser refuses (cut off, not
  /// UTF-8, broken in the middle) is never waved through as unmanaged.
  @Test func theShortcutNeverDisagreesWithTheParser() throws {
    let escaped = Array("guestNetworks: []\n\"\\x64omains\": {}\n".utf8)
    #expect(!UnmanagedShortcut.applies(domainXML: foreign, config: escaped) { _ in false })
    let cut = Array(foreign[..<(UnmanagedShortcut.find(foreign, "<metadata")!)])
    #expect(throws: DomainXMLError.self) { try DomainXML.parse(cut) }
    #expect(!UnmanagedShortcut.applies(domainXML: cut, config: plainConfig) { _ in false })
    var notUTF8 = foreign
    notUTF8.insert(0xC3, at: UnmanagedShortcut.find(foreign, "</name>")!)
    #expect(throws: DomainXMLError.self) { try DomainXML.parse(notUTF8) }
    #expect(!UnmanagedShortcut.applies(domainXML: notUTF8, config: plainConfig) { _ in false })
    var broken = foreign
    broken.replaceSubrange(
      UnmanagedShortcut.find(foreign, "</devices>")!..<(UnmanagedShortcut.find(foreign, "</devices>")! + 10),
      with: Array("</device>>".utf8))
    #expect(throws: DomainXMLError.self) { try DomainXML.parse(broken) }
    #expect(!UnmanagedShortcut.applies(domainXML: broken, config: plainConfig) { _ in false })
    // And the intact document still takes the shortcut.
    #expect(UnmanagedShortcut.applies(domainXML: foreign, config: plainConfig) { _ in false })
  }
}
