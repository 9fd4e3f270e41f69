import Glibc

/// The one lock that serialises read-modify-write across concurrent hook processes: `flock(LOCK_EX)` on
/// `<directory>/lock`, held until `close()` or deinit (and by the kernel until the process dies, never longer).
public final class HookLock {
  private var descriptor: Int32

  private init(descriptor: Int32) { self.descriptor = descriptor }

  /// Blocks until the lock is ours; creates the directory (0700) and the lock file when missing.
  public static func acquire(directory: String) throws -> HookLock {
    try StateDirectory.create(directory)
    let path = directory + "/lock"
    let file: FileDescriptor
    // Never through a symbolic link, never blocking on a FIFO someone put there: the lock file is ours.
    do {
      file = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, permissions: 0o600)
    } catch {
      throw SystemError.system("open \(path)", error.rawValue)
    }
    guard (try? file.status())?.isRegularFile == true else {
      file.close()
      throw SystemError("\(path) is not a regular file; refused")
    }
    do { _ = try retryingInterrupts { flock(file.rawValue, LOCK_EX) } } catch {
      file.close()
      throw SystemError.system("lock \(path)", error.rawValue)
    }
    return HookLock(descriptor: file.rawValue)
  }

  /// Releases the lock now; later calls do nothing.
  public func close() {
    guard descriptor >= 0 else { return }
    Glibc.close(descriptor)
    descriptor = -1
  }

  deinit { close() }
}
