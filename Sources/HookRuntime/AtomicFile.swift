#if canImport(Glibc)
  import Glibc
#endif
import RoutedKernel

/// Files that readers must never see half written (the watch daemon's status, node-exporter's textfile):
/// written to a temporary file in the same directory, then renamed over the old one.
public enum AtomicFile {
  public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SystemError) {
    let temporary = "\(path).tmp.\(getpid())"
    // Created, never opened: a symbolic link planted at the temporary name must not be written through. One
    // left by a dead process of the same PID (or planted) is removed (unlink removes a link, not its target).
    let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
    var descriptor = open(temporary, flags, mode)
    if descriptor < 0 && errno == EEXIST && unlink(temporary) == 0 {
      descriptor = open(temporary, flags, mode)
    }
    guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
    do { try FileDescriptor(rawValue: descriptor).writeAll(bytes) } catch {
      close(descriptor)
      unlink(temporary)
      throw SystemError("cannot write \(temporary): \(error)", errno: error)
    }
    // The umask may have narrowed the mode; node-exporter does not run as root.
    fchmod(descriptor, mode)
    close(descriptor)
    guard rename(temporary, path) == 0 else {
      let error = failure("cannot rename \(temporary) to \(path)")
      unlink(temporary)
      throw error
    }
  }

  private static func failure(_ what: String) -> SystemError {
    SystemError("\(what): \(String(cString: strerror(errno)))")
  }
}
