import Glibc
import RoutedCore

/// Per-interface sysctls through their /proc/sys files (no `sysctl` process).
enum Sysctl {
  /// The current value; nil when the file does not exist (no such interface).
  static func read(_ setting: InterfaceSysctl) throws -> Int? {
    let file: FileDescriptor
    do { file = try FileDescriptor.open(setting.path, O_RDONLY) } catch {
      if error.rawValue == ENOENT { return nil }
      throw SystemError.system("read \(setting.path)", error.rawValue)
    }
    defer { file.close() }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count: Int
    do {
      count = try buffer.withUnsafeMutableBytes { raw in
        Result { () throws(Errno) in try file.read(into: raw) }
      }.get()
    } catch {
      throw SystemError.system("read \(setting.path)", error.rawValue)
    }
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
    do {
      let file = try FileDescriptor.open(setting.path, O_WRONLY)
      defer { file.close() }
      try file.writeAll(Array("\(setting.value)\n".utf8))
    } catch {
      throw SystemError.system("write \(setting.path)", error.rawValue)
    }
  }
}
