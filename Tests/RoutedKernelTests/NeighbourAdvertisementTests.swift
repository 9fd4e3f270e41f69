import RoutedCore
import Testing

@testable import RoutedKernel

/// The unsolicited neighbour advertisement a handover sends, byte for byte against one the kernel sent
/// itself: in a throwaway namespace, `ndisc_notify=1` on a veth with MAC 02:aa:00:00:00:01 and a link
/// flap make Linux advertise its link-local address fe80::aa:ff:fe00:1 unsolicited (override flag, source
/// = target, to ff02::1, hop limit 255), captured with `tcpdump -i PEER 'icmp6 and ip6[40] = 136'`. Ours is
/// the same frame with our tag as the Ethernet trailer.
@Suite struct NeighbourAdvertisementTests {
  static let kernelFrame = hex(
    "33330000000102aa0000000186dd6000000000203afffe8000000000000000aa00fffe000001ff02000000000000000000000000"
      + "00018800579d20000000fe8000000000000000aa00fffe000001020102aa00000001")
  static let mac: [UInt8] = [0x02, 0xaa, 0x00, 0x00, 0x00, 0x01]

  static func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
      let next = text.index(index, offsetBy: 2)
      bytes.append(UInt8(text[index..<next], radix: 16)!)
      index = next
    }
    return bytes
  }

  @Test func matchesTheKernelsOwnUnsolicitedAdvertisement() {
    let frame = NeighbourAdvertisement.frame(
      source: Self.mac, target: IPv6Address("fe80::aa:ff:fe00:1")!, router: false)
    #expect(Array(frame.prefix(Self.kernelFrame.count)) == Self.kernelFrame)
    #expect(Array(frame.dropFirst(Self.kernelFrame.count)) == Array("routed-hook".utf8))
  }

  /// The gateway's advertisement sets the router flag too, and its checksum still holds: the one's
  /// complement sum over pseudo-header and message comes out as 0xffff.
  @Test func theRouterFlagAndTheChecksum() {
    let target = IPv6Address("fe80::1")!
    let frame = NeighbourAdvertisement.frame(source: Self.mac, target: target, router: true)
    let icmp = Array(frame[54..<86])
    #expect(icmp[0] == 136 && icmp[4] == 0xa0, "type NA, flags R and O, not S")
    #expect(Array(frame[22..<38]) == target.bytes, "the source is the target")
    #expect(frame[21] == 255, "hop limit 255")
    var zeroed = icmp
    zeroed[2] = 0
    zeroed[3] = 0
    let sum = NeighbourAdvertisement.checksum(source: target, destination: NeighbourAdvertisement.allNodes, icmp: zeroed)
    #expect(UInt16(icmp[2]) << 8 | UInt16(icmp[3]) == sum)
    #expect(NeighbourAdvertisement.checksum(source: target, destination: NeighbourAdvertisement.allNodes, icmp: icmp) == 0)
  }
}
