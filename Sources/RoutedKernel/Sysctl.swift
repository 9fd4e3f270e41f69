import Glibc
import RoutedCore

/// Per-interface sysctls through their /proc/sys files (no `sysctl` process).
enum Sysctl {
  /// The current value; nil when the file does not exist (no such interface).
  static func read(_ setting: InterfaceSysctl) throws -> Int? {
    let descriptor = open(setting.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      if errno == ENOENT { return nil }
      throw KernelError.system("read \(setting.path)", errno)
    }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
    guard count >= 0 else { throw KernelError.system("read \(setting.path)", errno) }
    // Digits up to the newline; parsed by hand because generic trimming instantiates type metadata that
    // costs more than the read itself.
    var value = 0
    var negative = false
    var digits = 0
    for byte in buffer[0..<count] {
      if byte == UInt8(ascii: "-") && digits == 0 {
        negative = true
      } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
        digits += 1
      } else if digits > 0 || !(byte == 0x20 || byte == 0x09) {
        break
      }
    }
    return digits == 0 ? nil : (negative ? -value : value)
  }

  static func write(_ setting: InterfaceSysctl) throws {
    let descriptor = open(setting.path, O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw KernelError.system("write \(setting.path)", errno) }
    defer { close(descriptor) }
    let text = Array("\(setting.value)\n".utf8)
    let count = text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    guard count == text.count else { throw KernelError.system("write \(setting.path)", errno) }
  }
}
