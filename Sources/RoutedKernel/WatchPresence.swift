import Glibc

/// Whether `routed-hook watch` runs for this state directory: it holds `<state dir>/watch.lock` exclusively for
/// its whole life (the kernel drops the lock when it dies, even by SIGKILL). A hook tests it with one open and one
/// non-blocking flock, and only where the daemon changes what the hook does (an incoming migration's `started`).
public enum WatchPresence {
  public static let lockName = "watch.lock"

  /// True while a watch daemon holds the lock.
  public static func isRunning(stateDirectory: String) -> Bool {
    // Non-blocking, and not through a symbolic link: a plain open of a FIFO planted here blocks forever.
    let descriptor = open(stateDirectory + "/" + lockName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.isRegularFile else { return false }
    if flock(descriptor, LOCK_SH | LOCK_NB) == 0 { return false }
    return errno == EWOULDBLOCK
  }

  /// Takes the lock for a daemon's life; nil when another daemon holds it. The descriptor stays open (and
  /// locked) until the process ends.
  public static func claim(stateDirectory: String) throws -> Int32? {
    try StateDirectory.create(stateDirectory)
    let path = stateDirectory + "/" + lockName
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
    guard descriptor >= 0 else { throw SystemError.system("open \(path)", errno) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.isRegularFile else {
      close(descriptor)
      throw SystemError("\(path) is not a regular file; refused")
    }
    if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      close(descriptor)
      if code == EWOULDBLOCK { return nil }
      throw SystemError.system("lock \(path)", code)
    }
    return descriptor
  }
}
