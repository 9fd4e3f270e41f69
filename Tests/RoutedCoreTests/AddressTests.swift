import RoutedCore
import Testing

@Suite struct AddressTests {
  @Test(arguments: [
    ("10.136.11.5", "10.136.11.5"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
  ])
  func parsesDottedQuads(text: String, expected: String) {
    #expect(IPv4Address(text)?.description == expected)
  }

  @Test(arguments: [
    "", "10.136.11", "10.136.11.256", "10.136.11.05", "10.136.11.5.1", "a.b.c.d", "10..11.5", " 10.1.1.1",
  ])
  func refusesMalformedAddresses(text: String) {
    #expect(IPv4Address(text) == nil)
  }

  @Test func subnetsContainAndOverlap() throws {
    let gateway = try #require(IPv4Interface("10.136.11.254/24"))
    #expect(gateway.network.description == "10.136.11.0/24")
    #expect(gateway.network.broadcast.description == "10.136.11.255")
    #expect(gateway.network.contains(IPv4Address("10.136.11.5")!))
    #expect(!gateway.network.contains(IPv4Address("10.136.12.5")!))
    #expect(IPv4Network("10.0.0.0/8")!.overlaps(gateway.network))
    #expect(!IPv4Network("10.136.12.0/24")!.overlaps(gateway.network))
    #expect(IPv4Network("10.136.11.5/24") == nil, "host bits set is not a subnet")
    #expect(IPv4Interface("10.136.11.5/33") == nil)
  }

  @Test func macAddressesCompareWithoutCase() {
    #expect(MACAddress("52:54:00:AA:00:05") == MACAddress("52:54:00:aa:00:05"))
    #expect(MACAddress("52:54:00:aa:00") == nil)
    #expect(MACAddress("52-54-00-aa-00-05") == nil)
  }
}
