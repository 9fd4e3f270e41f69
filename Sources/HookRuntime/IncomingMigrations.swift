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

  /// The marker's path; nil for a name that could reach outside the directory or hide as a dot file (the
  /// same rule as the records').
  func path(_ uuid: String) -> String? {
    uuid.isEmpty || uuid.hasPrefix(".") || uuid.contains("/") ? nil : "\(stateDirectory)/\(uuid).incoming"
  }

  /// The largest marker read: a boot-clock second and a newline.
  static let maximumSize = 64

  /// Notes an incoming migration of `uuid` at boot-clock second `now`.
  func mark(_ uuid: String, now: Int) throws {
    guard let path = path(uuid) else { return }
    try StateDirectory.create(stateDirectory)
    // A new file, never opened through whatever is there: a symbolic link planted at the name must not be
    // written through, nor a FIFO block `migrate begin`. A marker left by an earlier migration is replaced
    // (unlink removes a link or FIFO itself, not what it points at).
    unlink(path)
    let file: FileDescriptor
    do {
      file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, permissions: 0o600)
    } catch {
      throw SystemError("create \(path): \(error)", errno: error)
    }
    defer { file.close() }
    do { try file.writeAll(Array("\(now)\n".utf8)) } catch {
      throw SystemError("write \(path): \(error)", errno: error)
    }
  }

  /// The second `uuid`'s marker was written, removing it; nil without one, or when it is not one (a symbolic
  /// link, a FIFO, a device, too large, not a boot-clock second): then the start is a plain one, and what was
  /// there is removed all the same, so it cannot make a later start arrive.
  func take(_ uuid: String) -> Int? {
    guard let path = path(uuid) else { return nil }
    // Only a regular file in the state directory, bounded: `started` holds the hook lock while it reads.
    let read = try? Files.read(path, limit: Self.maximumSize, followLinks: false)
    if case .missing? = read { return nil }
    unlink(path)
    guard case .contents(let bytes)? = read,
      let second = Int(String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)), second >= 0
    else { return nil }
    return second
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
