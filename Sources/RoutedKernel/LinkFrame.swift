import CNetlink
import Glibc
import RoutedCore

/// One hand-made Ethernet frame sent on an interface from this process over an AF_PACKET socket (no `arping`
/// or `ndsend` child): what gratuitous ARP and unsolicited neighbour advertisements share.
enum LinkFrame {
  /// Bytes a frame carries after its packet (ARP's padding, an IPv6 packet's Ethernet trailer), so a
  /// capture shows whose frame it is. Receivers ignore them: ARP has fixed lengths, IPv6 trims to its
  /// payload length.
  static let tag = Array("routed-hook".utf8)

  /// Sends `build(own MAC)`, a whole frame whose first six bytes are its destination, on `interface` in the
  /// calling thread's network namespace; `what` names it in errors.
  static func send(on interface: String, what: String, build: ([UInt8]) -> [UInt8]) throws(SystemError) {
    let index = if_nametoindex(interface)
    guard index != 0 else { throw SystemError.system(what, ENODEV) }
    // Protocol 0: the socket sends only, it receives nothing.
    let socket = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard socket >= 0 else { throw SystemError.system(what, Glibc.errno) }
    defer { Glibc.close(socket) }
    var address = sockaddr_ll()
    address.sll_family = UInt16(AF_PACKET)
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
    let frame = build(own)
    var destination = address
    // The frame's EtherType as the skb's protocol, as the kernel would parse it from the header.
    destination.sll_protocol = (UInt16(frame[12]) << 8 | UInt16(frame[13])).bigEndian
    withUnsafeMutableBytes(of: &destination.sll_addr) { raw in
      for offset in 0..<6 { raw[offset] = frame[offset] }
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

  /// The six bytes of a MAC address.
  static func bytes(_ mac: MACAddress) -> [UInt8] {
    mac.description.split(separator: ":").map { UInt8($0, radix: 16) ?? 0 }
  }
}
