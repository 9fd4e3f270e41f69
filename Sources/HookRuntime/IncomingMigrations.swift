#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// The markers `migrate begin` leaves on the destination, `<stateDirectory>/<uuid>.incoming` holding the
/// boot-clock second it was written: the next `started` of that domain is an incoming migration. There is no
/// other way for `started` to know (libvirt passes the same XML and arguments as for a plain start).
struct IncomingMigrations {
  var stateDirectory: String

  func path(_ uuid: String) -> String? {
    uuid.isEmpty || uuid.contains("/") ? nil : "\(stateDirectory)/\(uuid).incoming"
  }

  /// Notes an incoming migration of `uuid` at boot-clock second `now`.
  func mark(_ uuid: String, now: Int) throws {
    guard let path = path(uuid) else { return }
    try StateDirectory.create(stateDirectory)
    let file: FileDescriptor
    do { file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o600) } catch {
      throw SystemError("create \(path): \(error)", errno: error)
    }
    defer { file.close() }
    do { try file.writeAll(Array("\(now)\n".utf8)) } catch {
      throw SystemError("write \(path): \(error)", errno: error)
    }
  }

  /// The second `uuid`'s marker was written, removing it; nil without one.
  func take(_ uuid: String) -> Int? {
    guard let path = path(uuid), case .contents(let bytes)? = try? Files.read(path, limit: 64) else {
      return nil
    }
    unlink(path)
    return Int(String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
  }

  /// Removes `uuid`'s marker, if any (a stop: the migration it announced is over either way).
  func clear(_ uuid: String) {
    if let path = path(uuid) { unlink(path) }
  }
}

/// CLOCK_BOOTTIME in whole seconds: one clock for every process of this boot (records live in /run), and it
/// keeps counting through suspend.
enum BootClock {
  static func seconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_BOOTTIME, &time)
    return time.tv_sec
  }
}
