import CNetlink
import Glibc

/// A netlink socket as the rest of the target sees it, so tests can record the bytes instead of sending them.
protocol NetlinkConnection: AnyObject {
  /// Sends one datagram (one or more messages).
  func send(_ datagram: [UInt8]) throws
  /// The next datagram of replies; throws when none arrives within the timeout.
  func receive() throws -> [UInt8]
}

/// A libmnl socket on one netlink bus, opened in whatever network namespace the calling thread is in.
final class MNLConnection: NetlinkConnection {
  private let socket: OpaquePointer
  private let bus: String
  /// Uninitialized: recvfrom writes what it returns, and zeroing 64 KiB per socket costs more than a reply.
  private let buffer: UnsafeMutableRawBufferPointer
  /// The kernel answers a batch synchronously inside sendmsg, so a silent socket means a lost reply.
  private let timeoutMilliseconds: Int32 = 5000
  /// False leaves the socket to the process's exit (see `KernelHandle.closeSocketsAtExit`).
  var closesOnDeinit = true

  init(bus: Int32, name: String) throws {
    self.bus = name
    guard let socket = mnl_socket_open(bus) else { throw SystemError.system("open \(name) socket", errno) }
    self.socket = socket
    if mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
      let code = errno
      mnl_socket_close(socket)
      throw SystemError.system("bind \(name) socket", code)
    }
    buffer = .allocate(byteCount: max(cnl_socket_buffer_size(), 65536), alignment: 16)
    // Capped ACKs keep a large batch's replies small; extended ACKs carry the kernel's reason text.
    for option in [NETLINK_CAP_ACK, NETLINK_EXT_ACK] {
      var on: Int32 = 1
      _ = mnl_socket_setsockopt(socket, option, &on, socklen_t(MemoryLayout<Int32>.size))
    }
    // Room for the ACKs of a batch with thousands of messages.
    var size: Int32 = 4 << 20
    _ = setsockopt(
      mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
    _ = setsockopt(
      mnl_socket_get_fd(socket), SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
  }

  /// The socket's file descriptor.
  var descriptor: Int32 { mnl_socket_get_fd(socket) }

  deinit {
    buffer.deallocate()
    if closesOnDeinit { mnl_socket_close(socket) }
  }

  func send(_ datagram: [UInt8]) throws {
    let sent = datagram.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
    guard sent == datagram.count else { throw SystemError.system("send to \(bus)", errno) }
  }

  func receive() throws -> [UInt8] {
    var poller = pollfd(fd: mnl_socket_get_fd(socket), events: Int16(POLLIN), revents: 0)
    let ready: Int32
    do { ready = try retryingInterrupts { poll(&poller, 1, timeoutMilliseconds) } } catch {
      throw SystemError.system("poll \(bus)", error.rawValue)
    }
    guard ready > 0 else {
      throw SystemError("\(bus): no reply from the kernel within \(timeoutMilliseconds) ms")
    }
    let count: Int
    do {
      count = try retryingInterrupts { mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count) }
    } catch {
      throw SystemError.system("receive from \(bus)", error.rawValue)
    }
    return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
  }
}

/// A socket opened on first use, so a call that never asks nftables anything never opens nfnetlink: closing
/// one waits for any transaction's pending destroy work, even someone else's. One left to exit is registered
/// with `DeferredRelease`, which may give it to a holder process instead.
final class DeferredConnection: NetlinkConnection {
  private let open: () throws -> MNLConnection
  private var connection: MNLConnection?
  var closesOnDeinit = true {
    didSet {
      connection?.closesOnDeinit = closesOnDeinit
      if let connection, !closesOnDeinit { DeferredRelease.adopt(connection.descriptor) }
    }
  }

  init(_ open: @escaping () throws -> MNLConnection) { self.open = open }

  private func opened() throws -> MNLConnection {
    if let connection { return connection }
    let connection = try open()
    connection.closesOnDeinit = closesOnDeinit
    if !closesOnDeinit { DeferredRelease.adopt(connection.descriptor) }
    self.connection = connection
    return connection
  }

  func send(_ datagram: [UInt8]) throws { try opened().send(datagram) }
  func receive() throws -> [UInt8] { try opened().receive() }
}
