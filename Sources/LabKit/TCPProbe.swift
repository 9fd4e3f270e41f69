import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// TCP connect tests done in-process: a listener in the target's namespace, a client in the source's,
/// and the address the listener sees as peer (what NAT turned the source into).
enum TCPProbe {
  /// How a connect attempt ended.
  enum Outcome: Equatable {
    /// Connected, and the far end accepted it from this address.
    case connected(seenFrom: LabAddress?)
    case refused
    case timedOut
    case failed(String)

    var summary: String {
      switch self {
      case .connected(let peer): return "tcp connected" + (peer.map { ", far end saw \($0)" } ?? "")
      case .refused: return "tcp refused"
      case .timedOut: return "tcp timeout"
      case .failed(let reason): return "tcp \(reason)"
      }
    }
  }

  /// Connects from namespace `client` to `address:port`, with a listener in namespace `server`.
  static func connect(
    client: String, server: String, address: LabAddress, port: Int, timeout: Double = 1.5
  ) throws -> Outcome {
    let listener = try NamespaceSwitch.inside(server) { try listen(port: port) }
    defer { close(listener) }
    let socket = try NamespaceSwitch.inside(client) { try makeSocket() }
    defer { close(socket) }
    var target = sockaddrIn(address, port: port)
    let started = withUnsafePointer(to: &target) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if started != 0 && errno != EINPROGRESS { return .failed(String(cString: strerror(errno))) }
    guard wait(socket, for: Int16(POLLOUT), timeout: timeout) else { return .timedOut }
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
    switch error {
    case 0: break
    case ECONNREFUSED: return .refused
    case ETIMEDOUT: return .timedOut
    default: return .failed(String(cString: strerror(error)))
    }
    // The handshake completes in the kernel; accept only reads off who the far end thinks called.
    guard wait(listener, for: Int16(POLLIN), timeout: timeout) else { return .connected(seenFrom: nil) }
    var peer = sockaddr_in()
    var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
    let accepted = withUnsafeMutablePointer(to: &peer) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &peerLength) }
    }
    guard accepted >= 0 else { return .connected(seenFrom: nil) }
    close(accepted)
    return .connected(seenFrom: LabAddress(UInt32(bigEndian: peer.sin_addr.s_addr)))
  }

  private static func makeSocket() throws -> Int32 {
    let fd = socket(
      AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
    return fd
  }

  private static func listen(port: Int) throws -> Int32 {
    let fd = try makeSocket()
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var any = sockaddrIn(LabAddress(0), port: port)
    let bound = withUnsafePointer(to: &any) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, Glibc.listen(fd, 8) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw LabError("cannot listen on port \(port): \(reason)")
    }
    return fd
  }

  private static func sockaddrIn(_ address: LabAddress, port: Int) -> sockaddr_in {
    var value = sockaddr_in()
    value.sin_family = sa_family_t(AF_INET)
    value.sin_port = UInt16(port).bigEndian
    value.sin_addr.s_addr = address.value.bigEndian
    return value
  }

  private static func wait(_ fd: Int32, for events: Int16, timeout: Double) -> Bool {
    var entry = pollfd(fd: fd, events: events, revents: 0)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let remaining = Int32(max(deadline.timeIntervalSinceNow, 0) * 1000)
      let ready = poll(&entry, 1, remaining)
      if ready > 0 { return true }
      if ready == 0 || errno != EINTR { return false }
    }
  }
}
