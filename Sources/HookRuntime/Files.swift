#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// Small blocking file reads, without Foundation, for the hook's hot path.
public enum Files {
  public enum ReadResult {
    case contents([UInt8])
    case missing
    case tooLarge(Int)
  }

  /// Reads `path` whole; `.missing` when it does not exist. Only a regular file is read (see
  /// `FileDescriptor.openRegularFile`): a FIFO or a device would block or never end while the hook holds its
  /// lock. `followLinks: false` refuses a symbolic link as the last component, for files in directories
  /// routed-hook owns.
  public static func read(_ path: String, limit: Int = 16 << 20, followLinks: Bool = true) throws(SystemError)
    -> ReadResult
  {
    let opened: (file: FileDescriptor, size: Int)?
    do { opened = try FileDescriptor.openRegularFile(path, followLinks: followLinks) } catch {
      if error.rawValue == ENOENT { return .missing }
      if error.rawValue == ELOOP { throw SystemError("\(path) is a symbolic link; refused", errno: error) }
      throw SystemError("cannot read \(path): \(error)", errno: error)
    }
    guard case let (file, size)? = opened else { throw SystemError("\(path) is not a regular file; refused") }
    defer { file.close() }
    // A regular file larger than the limit is refused without reading it.
    if size > limit { return .tooLarge(size) }
    return try readAll(file, limit: limit, what: path)
  }

  /// Reads a descriptor to EOF; past `limit` it keeps draining (so the writer never sees EPIPE), up to
  /// `FileDescriptor.drainLimit`, and reports the size it saw.
  static func readAll(_ file: FileDescriptor, limit: Int, what: String) throws(SystemError) -> ReadResult {
    do {
      let (bytes, total) = try file.readAll(limit: limit)
      return total > limit ? .tooLarge(total) : .contents(bytes)
    } catch {
      throw SystemError("cannot read \(what): \(error)", errno: error)
    }
  }
}

/// Writes one line to stderr. The hook's stdout is libvirt's replacement XML on migrate/restore, so never there.
public func printError(_ line: String) {
  // One error, one line: a newline or other control character from a name or a file is shown escaped.
  let text = "routed-hook: \(PlanText.escapedControls(line))\n"
  try? FileDescriptor.standardError.writeAll(Array(text.utf8))
}
