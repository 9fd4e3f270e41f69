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

  /// Both families read `ADDRESS/n` through one path: the same suffixes are refused alike, and only the
  /// largest length differs.
  @Test(arguments: [
    ("/0", 0, 0), ("/24", 24, 24), ("/32", 32, 32), ("/33", nil, 33), ("/128", nil, 128), ("/129", nil, nil),
    ("/024", nil, nil), ("/+24", nil, nil), ("/-1", nil, nil), ("/ 24", nil, nil), ("/24 ", nil, nil),
    ("/", nil, nil), ("/24/1", nil, nil), ("//24", nil, nil), ("", nil, nil), ("24", nil, nil),
    ("/0000000024", nil, nil),
  ] as [(String, Int?, Int?)])
  func readsPrefixLengthsAlikeInBothFamilies(suffix: String, ipv4: Int?, ipv6: Int?) {
    #expect(IPv4Interface("10.136.11.5" + suffix)?.prefixLength == ipv4)
    #expect(IPv6Interface("fd00:10::136:11:5" + suffix)?.prefixLength == ipv6)
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

/// The byte-level address parsers (a config with 4,000 `domains:` entries parses 8,000 of them per hook
/// call) agree with the split-based ones they replaced, on valid text and on every kind of near miss.
@Suite struct AddressParserAgreementTests {
  static func referenceIPv4(_ text: String) -> UInt32? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var value: UInt32 = 0
    for part in parts {
      // The old parser let `UInt8("+1")` through; a sign is no part of an address (issue 11, defect 10).
      guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), let octet = UInt8(part),
        part.count == 1 || part.first != "0"
      else { return nil }
      value = value << 8 | UInt32(octet)
    }
    return value
  }

  static func referenceMAC(_ text: String) -> String? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6 else { return nil }
    var out: [String] = []
    for part in parts {
      guard (1...2).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
      out.append((part.count == 1 ? "0" : "") + part.lowercased())
    }
    return out.joined(separator: ":")
  }

  @Test func parsersAgreeWithTheReference() {
    var generator = SystemRandomNumberGenerator()
    let alphabet = Array("0123456789abcdefABCDEFxX.:+- 0é")
    var samples = [
      "10.136.11.5", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.1.1.1", "1.1.1", "1.1.1.1.", ".1.1.1",
      "1..1.1", "+1.1.1.1", "1.1.1.1 ", "52:54:00:11:00:05", "52:54:0:7B:35:93", "52:54:00:11:00",
      "52:54:00:11:00:05:", "5:4:0:1:0:5", "523:54:00:11:00:05", "52:54:00:11:00:0g", ":54:00:11:00:05",
    ]
    for _ in 0..<20_000 {
      let length = Int.random(in: 0...20, using: &generator)
      samples.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
    }
    #expect(IPv4Address("+1.1.1.1") == nil)
    for sample in samples {
      #expect(IPv4Address(sample)?.value == Self.referenceIPv4(sample), "\(sample)")
      #expect(MACAddress(sample)?.description == Self.referenceMAC(sample), "\(sample)")
    }
  }
}
