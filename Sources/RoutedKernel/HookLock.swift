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
    do { file = try FileDescriptor.open(path, O_RDWR | O_CREAT, permissions: 0o600) } catch {
      throw SystemError.system("open \(path)", error.rawValue)
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

/// The state directory (`/run/routed-hook` by default): private to root.
public enum StateDirectory {
  public static func create(_ path: String) throws {
    // Nearly always there already: one mkdir answers, and the parents are made only when it says ENOENT.
    if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += prefix.isEmpty || prefix == "/" ? component : "/" + component
      if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw SystemError.system("mkdir \(prefix)", errno) }
    }
  }
}
