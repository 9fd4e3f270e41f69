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
    return Int(String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace)
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

extension String {
  fileprivate var trimmingWhitespace: String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
