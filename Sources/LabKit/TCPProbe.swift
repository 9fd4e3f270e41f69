#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore

/// TCP connect tests done in-process, for either family: a listener in the target's namespace, a client in
/// the source's, and the address the listener sees as peer (what NAT or NAT66 turned the source into).
enum TCPProbe {
  /// How a connect attempt ended.
  enum Outcome: Equatable {
    /// Connected, and the far end accepted it from this address.
    case connected(seenFrom: IPAddress?)
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
    client: String, server: String, address: IPAddress, port: Int, timeout: Double = 1.5
  ) throws -> Outcome {
    let family = address.isV6 ? AF_INET6 : AF_INET
    let listener = try NamespaceSwitch.inside(server) {
      try TCPSocket.listen(family: family, port: port, backlog: 8, noDelay: false)
    }
    defer { close(listener) }
    let socket = try NamespaceSwitch.inside(client) { try TCPSocket.stream(family: family, noDelay: false) }
    defer { close(socket) }
    switch TCPSocket.connect(socket, to: address, port: port, timeout: timeout) {
    case 0: break
    case ECONNREFUSED: return .refused
    case ETIMEDOUT: return .timedOut
    case let error: return .failed(String(cString: strerror(error)))
    }
    // The handshake completes in the kernel; accept only reads off who the far end thinks called.
    guard TCPSocket.wait(listener, for: Int16(POLLIN), timeout: timeout), let accepted = TCPSocket.accept(listener)
    else { return .connected(seenFrom: nil) }
    close(accepted.fd)
    return .connected(seenFrom: accepted.peer)
  }
}
