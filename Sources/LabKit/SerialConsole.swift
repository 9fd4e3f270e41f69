import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A QEMU guest's serial console (a unix socket QEMU listens on), where the lab's initramfs runs a shell:
/// the only way into a VM, whose network stack is its own and has no namespace on the host.
struct SerialConsole {
  let path: String

  /// What one command printed, and its exit status.
  struct Reply {
    var status: Int32
    var output: String
  }

  /// Runs one shell command line in the guest and waits up to `timeout` seconds for it to finish.
  func run(_ command: String, timeout: Double) throws -> Reply {
    let fd = try connect()
    defer { close(fd) }
    // The terminal may echo what is typed; `$((6*7))` only becomes 42 in the shell's own output. The nonce
    // keeps the answer to an earlier, abandoned command from passing for this one's.
    let nonce = String(UInt32.random(in: 1...UInt32.max), radix: 36)
    let line = "\(command) 2>&1; echo \"@rl-\(nonce) $? $((6*7))@\"\n"
    try write(fd, line)
    var text = ""
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, 200) > 0 else { continue }
      var buffer = [UInt8](repeating: 0, count: 4096)
      let count = read(fd, &buffer, buffer.count)
      guard count > 0 else { break }
      text += String(decoding: buffer[0..<count], as: UTF8.self)
      if let reply = Self.reply(in: text, nonce: nonce) { return reply }
    }
    throw LabError("no answer on \(path) within \(Int(timeout)) s to: \(command)")
  }

  /// The status marker of command `nonce`, and what the shell printed before it (after any echo of the line).
  static func reply(in text: String, nonce: String) -> Reply? {
    let cleaned = text.replacingOccurrences(of: "\r", with: "")
    let prefix = "@rl-\(nonce) "
    guard let marker = cleaned.range(of: prefix + #"\d+ 42@"#, options: .regularExpression) else {
      return nil
    }
    let digits = cleaned[marker].dropFirst(prefix.count).prefix { $0.isNumber }
    var output = String(cleaned[..<marker.lowerBound])
    if let echo = output.range(of: "$((6*7))@\"\n", options: .backwards) {
      output = String(output[echo.upperBound...])
    }
    return Reply(status: Int32(digits) ?? -1, output: output)
  }

  /// True once the guest's shell answers.
  func isReady(timeout: Double = 5) -> Bool { (try? run("true", timeout: timeout))?.status == 0 }

  private func connect() throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      close(fd)
      throw LabError("serial socket path too long: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    let status = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard status == 0 else {
      let message = String(cString: strerror(errno))
      close(fd)
      throw LabError("cannot connect to the serial console \(path): \(message)")
    }
    return fd
  }

  private func write(_ fd: Int32, _ text: String) throws {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      guard written > 0 else { throw LabError("write to \(path): \(String(cString: strerror(errno)))") }
      offset += written
    }
  }
}

/// A command line run inside a QEMU guest of a running lab, over its serial console.
public enum GuestShell {
  /// The command's output and exit status; `timeout` bounds the wait for its answer.
  public static func run(_ command: String, in guest: Guest, names: LabNames, timeout: Double = 30) throws
    -> (status: Int32, output: String)
  {
    let reply = try SerialConsole(path: names.serialSocket(guest.host, guest.name)).run(
      command, timeout: timeout)
    return (reply.status, reply.output)
  }
}
