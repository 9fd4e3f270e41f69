import Glibc

/// The state directory (`/run/routed-hook` by default): private to root. Its records and lock decide what is
/// removed from the kernel, so it must be ours and writable by nobody else.
public enum StateDirectory {
  /// Creates `path` (0700) when missing, and refuses one that others could write to or replace.
  public static func create(_ path: String) throws {
    guard !path.isEmpty else { throw SystemError("the state directory is empty") }
    // Nearly always there already: one mkdir answers, and the parents are made only when it says ENOENT.
    if mkdir(path, 0o700) != 0 && errno != EEXIST {
      var prefix = path.hasPrefix("/") ? "/" : ""
      for component in path.split(separator: "/") {
        prefix += prefix.isEmpty || prefix == "/" ? component : "/" + component
        if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw SystemError.system("mkdir \(prefix)", errno) }
      }
    }
    try check(path)
  }

  /// A directory, not a symbolic link, owned by this user, writable by nobody else.
  static func check(_ path: String) throws {
    var status = stat()
    guard lstat(path, &status) == 0 else { throw SystemError.system("stat \(path)", errno) }
    guard status.st_mode & S_IFMT == S_IFDIR else {
      throw SystemError("state directory \(path) is not a directory (a symbolic link?); refused")
    }
    guard status.st_uid == geteuid() else {
      throw SystemError("state directory \(path) is owned by uid \(status.st_uid), not \(geteuid()); refused")
    }
    guard status.st_mode & 0o022 == 0 else {
      throw SystemError(
        "state directory \(path) is writable by group or others (mode \(String(status.st_mode & 0o7777, radix: 8))); refused"
      )
    }
  }
}
