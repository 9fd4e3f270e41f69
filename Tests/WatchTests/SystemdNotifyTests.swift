import Glibc
import Testing

@testable import Watch

/// The notify protocol as systemd receives it: a datagram socket at $NOTIFY_SOCKET, path or abstract.
@Suite struct SystemdNotifyTests {
  /// A datagram socket bound at `path` (abstract when it starts with "@"), and what arrives on it.
  final class Receiver {
    let socket: Int32
    init(path: String) throws {
      socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      var bytes = Array(path.utf8)
      if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in bytes.enumerated() { raw[index] = byte }
      }
      let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
      }
      #expect(bound == 0)
    }
    deinit { close(socket) }

    func receive() -> String {
      var buffer = [UInt8](repeating: 0, count: 4096)
      let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
      return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
  }

  @Test func sendsReadyStatusAndWatchdogToAPathSocket() throws {
    let path = "/tmp/rh-notify-\(getpid()).sock"
    unlink(path)
    defer { unlink(path) }
    let receiver = try Receiver(path: path)
    let notify = SystemdNotify { ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"][$0] }
    #expect(notify.isEnabled)
    #expect(notify.watchdogInterval == 20)
    notify.ready(status: "watching")
    #expect(receiver.receive() == "READY=1\nSTATUS=watching")
    notify.watchdog()
    #expect(receiver.receive() == "WATCHDOG=1")
  }

  @Test func reachesAnAbstractSocket() throws {
    let name = "@rh-notify-\(getpid())"
    let receiver = try Receiver(path: name)
    let notify = SystemdNotify { $0 == "NOTIFY_SOCKET" ? name : nil }
    #expect(notify.send("STATUS=abstract"))
    #expect(receiver.receive() == "STATUS=abstract")
  }

  @Test func withoutTheVariableNothingIsSent() {
    let notify = SystemdNotify { _ in nil }
    #expect(!notify.isEnabled)
    #expect(notify.watchdogInterval == nil)
    #expect(!notify.send("READY=1"))
  }

  @Test func aWatchdogMeantForAnotherProcessIsIgnored() {
    let notify = SystemdNotify { ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "\(getpid() + 1)"][$0] }
    #expect(notify.watchdogInterval == nil)
  }
}
