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
    #expect(UnmanagedShortcut.domainUUID(foreign) == "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")
    let late = Array(
      "<domain><name>x</name><devices><uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid></devices></domain>"
        .utf8)
    #expect(UnmanagedShortcut.domainUUID(late) == nil)
    #expect(UnmanagedShortcut.domainUUID(Array("<domain><uuid>nope</uuid></domain>".utf8)) == nil)
    let commented = Array(
      "<domain><!-- <uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid> --><uuid>0e2b5b1c-1111-4c1e-9d55-0d9a0f1e2b3c</uuid></domain>"
        .utf8)
    #expect(UnmanagedShortcut.domainUUID(commented) == nil)
  }
}
