@testable import RoutedCore
import Testing

@Suite struct DomainXMLTests {
  @Test func readsABridgeNICWithOVSVirtualportAndMetadata() throws {
    let domain = try Fixture.domain("web01.xml")
    #expect(domain.identity == DomainIdentity(name: "web01", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c"))
    #expect(
      domain.interfaces == [
        DomainInterface(
          type: "bridge", mac: MACAddress("52:54:00:11:00:05"), sourceBridge: "br-ex", targetDevice: "vnet2",
          virtualPort: "openvswitch")
      ])
    #expect(
      domain.metadata == [
        GuestAddress(mac: MACAddress("52:54:00:11:00:05")!, address: IPv4Address("10.136.11.5")!)
      ])
  }

  @Test func readsNetworkBridgeAndForeignNICs() throws {
    let domain = try Fixture.domain("app02-two-networks.xml")
    #expect(domain.interfaces.map(\.type) == ["network", "bridge", "network"])
    #expect(domain.interfaces[0].sourceNetwork == "ovs-guests")
    #expect(domain.interfaces[0].sourceBridge == "br-ex")
    #expect(domain.interfaces[2].sourceNetwork == "default")
    #expect(domain.metadata?.count == 2)
    #expect(domain.metadata?[0].uplinks == ["production", "intranet"])
    #expect(domain.metadata?[1].uplinks == nil)
  }

  @Test func releaseTimeXMLHasNoTargetDevice() throws {
    let domain = try Fixture.domain("web01-release.xml")
    #expect(domain.interfaces.count == 1)
    #expect(domain.interfaces[0].targetDevice == nil)
    #expect(domain.identity.uuid == "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")
  }

  @Test func ethernetAndDirectNICsHaveNoBridge() throws {
    let domain = try Fixture.domain("ethernet.xml")
    #expect(domain.interfaces.map(\.type) == ["ethernet", "direct"])
    #expect(domain.interfaces.allSatisfy { $0.sourceBridge == nil && $0.sourceNetwork == nil })
    #expect(domain.metadata == nil)
  }

  @Test func domainWithoutMetadataHasNil() throws {
    #expect(try Fixture.domain("nometa.xml").metadata == nil)
  }

  @Test func lxcDomainParses() throws {
    let domain = try Fixture.domain("lxc.xml")
    #expect(domain.identity.name == "ct01")
    #expect(domain.interfaces.first?.sourceBridge == "br-ex")
  }

  @Test(arguments: [
    ("<domain><name>x</name>", "malformed domain XML: "),
    ("not xml at all", "malformed domain XML: "),
    ("<network><name>n</name></network>", "expected a <domain> document, found <network>"),
  ])
  /// Only what makes the document unreadable; what a domain lacks (name, UUID, MACs, readable metadata) matters
  /// only if routed-hook acts on it (`UnmanagedDomainTests`).
  func refusesBadXML(xml: String, expectedPrefix: String) {
    #expect(throws: DomainXMLError.self) { try DomainXML.parse(Array(xml.utf8)) }
    do {
      _ = try DomainXML.parse(Array(xml.utf8))
    } catch {
      #expect("\(error)".hasPrefix(expectedPrefix), "\(error)")
    }
  }

  @Test func refusesInputOver16MiB() {
    let big = [UInt8](repeating: 0x20, count: DomainXML.maximumSize + 1)
    do {
      _ = try DomainXML.parse(big)
      Issue.record("accepted oversized XML")
    } catch {
      #expect("\(error)" == "domain XML is 16777217 bytes, over the 16 MiB limit")
    }
  }

  @Test func metadataInAnotherNamespaceIsIgnored() throws {
    let xml = """
      <domain><name>x</name><uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid>
      <metadata><o:guest xmlns:o='urn:other:1'><o:interface mac='52:54:00:11:00:05' address='10.136.11.5'/></o:guest></metadata>
      </domain>
      """
    #expect(try DomainXML.parse(Array(xml.utf8)).metadata == nil)
  }
}
