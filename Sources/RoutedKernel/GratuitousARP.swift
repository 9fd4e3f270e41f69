import RoutedCore

/// Gratuitous ARP: a broadcast ARP request whose sender and target address are the guest's. Linux replaces
/// an existing neighbour entry on it at once, even within `locktime` (`arp_is_garp`). The Ethernet source is
/// the interface's own MAC; the frame's padding carries `routed-hook`.
enum GratuitousARP {
  /// Sends one announcement on its interface, in the calling thread's network namespace.
  static func send(_ announcement: Handover.Announcement, address: IPv4Address) throws(SystemError) {
    try LinkFrame.send(
      on: announcement.interface, what: "gratuitous ARP for \(address) on \(announcement.interface)"
    ) { own in
      frame(source: own, sender: announcement.sender.map(LinkFrame.bytes) ?? own, address: address)
    }
  }

  /// The whole Ethernet frame: broadcast, ARP request, sender and target protocol address both `address`,
  /// target hardware address zero, padded with our tag.
  static func frame(source: [UInt8], sender: [UInt8], address: IPv4Address) -> [UInt8] {
    let ip = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: address.value >> $0) }
    var frame = [UInt8](repeating: 0xff, count: 6) + source + [0x08, 0x06]
    frame += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
    frame += sender + ip + [UInt8](repeating: 0, count: 6) + ip
    frame += LinkFrame.tag
    frame += [UInt8](repeating: 0, count: max(0, 60 - frame.count))
    return frame
  }
}
