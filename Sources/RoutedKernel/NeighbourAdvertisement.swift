import RoutedCore

/// An unsolicited neighbour advertisement (RFC 4861 7.2.6): IPv6's gratuitous ARP. Sent to all nodes
/// (ff02::1) with the override flag, so a neighbour that holds an entry for the address replaces its
/// link-layer address at once; one without an entry ignores it (Linux creates none unless
/// `accept_untracked_na`). The source address is the target itself, as the kernel's own unsolicited
/// advertisements of its addresses have it; the link-layer address is the interface's own.
enum NeighbourAdvertisement {
  /// Sends one announcement on its interface, in the calling thread's network namespace.
  static func send(_ announcement: Handover.Announcement, address: IPv6Address) throws(SystemError) {
    try LinkFrame.send(
      on: announcement.interface, what: "neighbour advertisement for \(address) on \(announcement.interface)"
    ) { own in
      frame(source: own, target: address, router: announcement.router)
    }
  }

  /// All nodes, and its Ethernet multicast address (33:33 and the group's last four bytes).
  static let allNodes = IPv6Address("ff02::1")!
  static let allNodesMAC: [UInt8] = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01]

  /// The whole Ethernet frame: IPv6 from `target` to ff02::1 with hop limit 255 (receivers drop neighbour
  /// discovery with any other), ICMPv6 type 136 with the override flag (and the router flag when asked),
  /// the target, and the target link-layer address option; our tag as the Ethernet trailer.
  static func frame(source: [UInt8], target: IPv6Address, router: Bool) -> [UInt8] {
    let flags: UInt8 = (router ? 0x80 : 0) | 0x20  // R, S (never: unsolicited), O
    var icmp: [UInt8] = [136, 0, 0, 0, flags, 0, 0, 0] + target.bytes
    icmp += [2, 1] + source  // option 2: target link-layer address, 8 bytes
    let checksum = self.checksum(source: target, destination: allNodes, icmp: icmp)
    icmp[2] = UInt8(checksum >> 8)
    icmp[3] = UInt8(checksum & 0xff)
    var frame = allNodesMAC + source + [0x86, 0xdd]
    frame += [0x60, 0, 0, 0, UInt8(icmp.count >> 8), UInt8(icmp.count & 0xff), 58, 255]
    frame += target.bytes + allNodes.bytes
    frame += icmp
    frame += LinkFrame.tag
    return frame
  }

  /// ICMPv6's checksum: the one's complement sum over the pseudo-header (source, destination, length, next
  /// header 58) and the message with its checksum field zero.
  static func checksum(source: IPv6Address, destination: IPv6Address, icmp: [UInt8]) -> UInt16 {
    let length = UInt32(icmp.count)
    var bytes = source.bytes + destination.bytes
    bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
    bytes += [0, 0, 0, 58] + icmp
    if bytes.count % 2 == 1 { bytes.append(0) }
    var sum: UInt32 = 0
    for index in stride(from: 0, to: bytes.count, by: 2) {
      sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
    }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
  }
}
