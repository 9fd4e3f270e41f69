import CNetlink
import Glibc
import RoutedCore

/// Gratuitous ARP, sent from this process over an AF_PACKET socket (no `arping` child): a broadcast ARP
/// request whose sender and target address are the guest's. Linux replaces an existing neighbour entry on
/// it at once, even within `locktime` (`arp_is_garp`). The Ethernet source is the interface's own MAC; the
/// frame's padding carries `routed-hook`, so a capture shows whose frame it is.
enum GratuitousARP {
  /// The bytes after the 42-byte ARP frame, up to Ethernet's 60-byte minimum.
  static let tag = Array("routed-hook".utf8)

  /// Sends one announcement on its interface, in the calling thread's network namespace.
  static func send(_ announcement: Handover.Announcement) throws(SystemError) {
    let what = "gratuitous ARP for \(announcement.address) on \(announcement.interface)"
    let index = if_nametoindex(announcement.interface)
    guard index != 0 else { throw SystemError.system(what, ENODEV) }
    let socket = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard socket >= 0 else { throw SystemError.system(what, Glibc.errno) }
    defer { Glibc.close(socket) }
    var address = sockaddr_ll()
    address.sll_family = UInt16(AF_PACKET)
    address.sll_protocol = UInt16(ETH_P_ARP).bigEndian
    address.sll_ifindex = Int32(index)
    // Bound, the socket names the interface's hardware address: no ioctl, no sysfs (which shows the
    // namespace that mounted it, not the one this thread entered).
    var length = socklen_t(MemoryLayout<sockaddr_ll>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        guard Glibc.bind(socket, pointer, length) == 0 else { return false }
        return getsockname(socket, pointer, &length) == 0
      }
    }
    guard named else { throw SystemError.system(what, Glibc.errno) }
    guard address.sll_halen == 6 else { throw SystemError("\(what): not an Ethernet interface") }
    let own = withUnsafeBytes(of: address.sll_addr) { Array($0.prefix(6)) }
    let sender = announcement.sender.map(bytes) ?? own
    let frame = self.frame(source: own, sender: sender, address: announcement.address)
    var destination = address
    withUnsafeMutableBytes(of: &destination.sll_addr) { raw in
      for offset in 0..<6 { raw[offset] = 0xff }
    }
    let sent = frame.withUnsafeBytes { raw in
      withUnsafePointer(to: &destination) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          Glibc.sendto(socket, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
        }
      }
    }
    guard sent == frame.count else { throw SystemError.system(what, sent < 0 ? Glibc.errno : EIO) }
  }

  /// The whole Ethernet frame: broadcast, ARP request, sender and target protocol address both `address`,
  /// target hardware address zero, padded with our tag.
  static func frame(source: [UInt8], sender: [UInt8], address: IPv4Address) -> [UInt8] {
    let ip = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: address.value >> $0) }
    var frame = [UInt8](repeating: 0xff, count: 6) + source + [0x08, 0x06]
    frame += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
    frame += sender + ip + [UInt8](repeating: 0, count: 6) + ip
    frame += tag
    frame += [UInt8](repeating: 0, count: max(0, 60 - frame.count))
    return frame
  }

  /// The six bytes of a MAC address.
  static func bytes(_ mac: MACAddress) -> [UInt8] {
    mac.description.split(separator: ":").map { UInt8($0, radix: 16) ?? 0 }
  }
}
