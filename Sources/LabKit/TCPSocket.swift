#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore

/// Non-blocking TCP sockets of either family, for the connect probe and the request/response generator.
enum TCPSocket {
  /// A non-blocking stream socket with SO_REUSEADDR; with `noDelay`, TCP_NODELAY too (as uperf's profiles set it).
  static func stream(family: Int32 = AF_INET, noDelay: Bool) throws -> Int32 {
    let fd = socket(
      family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
    var yes: Int32 = 1
    if noDelay { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size)) }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    return fd
  }

  /// A socket listening on every address of `family` at `port` (an IPv6 one for IPv6 only, so that an IPv4
  /// listener on the same port can coexist).
  static func listen(family: Int32 = AF_INET, port: Int, backlog: Int32, noDelay: Bool) throws -> Int32 {
    let fd = try stream(family: family, noDelay: noDelay)
    let any: IPAddress
    if family == AF_INET6 {
      var yes: Int32 = 1
      setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &yes, socklen_t(MemoryLayout<Int32>.size))
      any = .v6(.unspecified)
    } else {
      any = .v4(IPv4Address(0))
    }
    let bound = withSocketAddress(any, port: port) { bind(fd, $0, $1) }
    guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw LabError("cannot listen on port \(port): \(reason)")
    }
    return fd
  }

  /// Connects `fd` to `address:port`, waiting at most `timeout` seconds: 0 once connected, else the errno that
  /// ended the attempt (ETIMEDOUT when the time ran out).
  static func connect(_ fd: Int32, to address: IPAddress, port: Int, timeout: Double) -> Int32 {
    let started = withSocketAddress(address, port: port) { Glibc.connect(fd, $0, $1) }
    if started != 0 && errno != EINPROGRESS { return errno }
    guard wait(fd, for: Int16(POLLOUT), timeout: timeout) else { return ETIMEDOUT }
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
    return error
  }

  /// Accepts one connection: its descriptor and the address the peer called from (nil for an empty queue or an
  /// error).
  static func accept(_ listener: Int32) -> (fd: Int32, peer: IPAddress)? {
    var peer = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let fd = withUnsafeMutablePointer(to: &peer) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listener, $0, &length) }
    }
    guard fd >= 0 else { return nil }
    let family = Int32(peer.ss_family)
    let address: IPAddress? = withUnsafeBytes(of: &peer) { raw in
      switch family {
      case AF_INET:
        let value = raw.load(as: sockaddr_in.self).sin_addr.s_addr
        return .v4(IPv4Address(UInt32(bigEndian: value)))
      case AF_INET6:
        let value = raw.load(as: sockaddr_in6.self).sin6_addr
        return IPv6Address(networkBytes: withUnsafeBytes(of: value) { Array($0) }).map { .v6($0) }
      default:
        return nil
      }
    }
    guard let address else {
      close(fd)
      return nil
    }
    return (fd, address)
  }

  /// Waits until `fd` is ready for `events`; false on timeout or a poll error.
  static func wait(_ fd: Int32, for events: Int16, timeout: Double) -> Bool {
    var entry = pollfd(fd: fd, events: events, revents: 0)
    let deadline = RRGenerator.Clock.now() + timeout
    while true {
      let ready = poll(&entry, 1, Int32(max(deadline - RRGenerator.Clock.now(), 0) * 1000))
      if ready > 0 { return true }
      if ready == 0 || errno != EINTR { return false }
    }
  }

  /// Calls `body` with `address:port` as a `sockaddr_in` or `sockaddr_in6` and its length.
  static func withSocketAddress<R>(
    _ address: IPAddress, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
  ) -> R {
    switch address {
    case .v4(let address):
      var value = sockaddr_in()
      value.sin_family = sa_family_t(AF_INET)
      value.sin_port = UInt16(port).bigEndian
      value.sin_addr.s_addr = address.value.bigEndian
      return withUnsafePointer(to: &value) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
    case .v6(let address):
      var value = sockaddr_in6()
      value.sin6_family = sa_family_t(AF_INET6)
      value.sin6_port = UInt16(port).bigEndian
      withUnsafeMutableBytes(of: &value.sin6_addr) { $0.copyBytes(from: address.bytes) }
      return withUnsafePointer(to: &value) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
      }
    }
  }
}
