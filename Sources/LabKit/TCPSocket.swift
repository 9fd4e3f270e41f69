#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore

/// Non-blocking IPv4 TCP sockets, for the connect probe and the request/response generator.
enum TCPSocket {
  /// A non-blocking stream socket with SO_REUSEADDR; with `noDelay`, TCP_NODELAY too (as uperf's profiles set it).
  static func stream(noDelay: Bool) throws -> Int32 {
    let fd = socket(
      AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
    var yes: Int32 = 1
    if noDelay { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size)) }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    return fd
  }

  /// A socket listening on every address at `port`.
  static func listen(port: Int, backlog: Int32, noDelay: Bool) throws -> Int32 {
    let fd = try stream(noDelay: noDelay)
    var any = address(IPv4Address(0), port: port)
    let bound = withUnsafePointer(to: &any) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw LabError("cannot listen on port \(port): \(reason)")
    }
    return fd
  }

  /// Connects `fd` to `address:port`, waiting at most `timeout` seconds: 0 once connected, else the errno that
  /// ended the attempt (ETIMEDOUT when the time ran out).
  static func connect(_ fd: Int32, to address: IPv4Address, port: Int, timeout: Double) -> Int32 {
    var target = self.address(address, port: port)
    let started = withUnsafePointer(to: &target) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if started != 0 && errno != EINPROGRESS { return errno }
    guard wait(fd, for: Int16(POLLOUT), timeout: timeout) else { return ETIMEDOUT }
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
    return error
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

  static func address(_ address: IPv4Address, port: Int) -> sockaddr_in {
    var value = sockaddr_in()
    value.sin_family = sa_family_t(AF_INET)
    value.sin_port = UInt16(port).bigEndian
    value.sin_addr.s_addr = address.value.bigEndian
    return value
  }
}
