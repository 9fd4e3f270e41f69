import CNetlink
import Glibc

/// sd_notify(3) without libsystemd: one datagram per state change to the socket in `$NOTIFY_SOCKET` (a path,
/// or an abstract name written with a leading `@`). Without the variable (not started by systemd) every call
/// does nothing. The protocol is newline-separated `KEY=VALUE` pairs: `READY=1`, `WATCHDOG=1`, `STATUS=…`,
/// `STOPPING=1`, `RELOADING=1`.
public struct SystemdNotify {
  private let address: sockaddr_un?
  private let length: socklen_t
  /// The watchdog interval systemd asked for (`$WATCHDOG_USEC`), in seconds; nil without a watchdog.
  public let watchdogInterval: Double?

  public init(environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) {
    if let usec = environment("WATCHDOG_USEC").flatMap(Double.init), usec > 0,
      environment("WATCHDOG_PID").flatMap(Int32.init).map({ $0 == getpid() }) ?? true
    {
      watchdogInterval = usec / 1_000_000
    } else {
      watchdogInterval = nil
    }
    guard let path = environment("NOTIFY_SOCKET"), !path.isEmpty,
      path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path)
    else {
      address = nil
      length = 0
      return
    }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(path.utf8)
    // An abstract socket: '@' stands for the leading NUL byte, and the length counts only the bytes given.
    if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    self.address = address
    length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
  }

  /// True when systemd waits for our notifications.
  public var isEnabled: Bool { address != nil }

  /// Sends `state` (e.g. `READY=1\nSTATUS=watching`); returns false when it could not be delivered. Never
  /// blocks: a datagram socket's queue holds only a few messages (net.unix.max_dgram_qlen), and a notification
  /// its reader cannot take now is dropped rather than stalling the daemon (the next STATUS replaces it).
  @discardableResult
  public func send(_ state: String) -> Bool {
    guard var address else { return false }
    let socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    let bytes = Array(state.utf8)
    let sent = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        bytes.withUnsafeBytes { sendto(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), address, length) }
      }
    }
    return sent == bytes.count
  }

  public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
  public func status(_ text: String) { send("STATUS=\(text)") }
  public func watchdog() { send("WATCHDOG=1") }
  public func stopping() { send("STOPPING=1") }
}
