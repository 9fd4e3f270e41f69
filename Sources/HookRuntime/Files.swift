#if canImport(Glibc)
  import Glibc
#endif
import RoutedKernel

/// Small blocking file reads, without Foundation, for the hook's hot path.
public enum Files {
  public enum ReadResult {
    case contents([UInt8])
    case missing
    case tooLarge(Int)
  }

  /// Reads `path` whole; `.missing` when it does not exist.
  public static func read(_ path: String, limit: Int = 16 << 20) throws(SystemError) -> ReadResult {
    let file: FileDescriptor
    do { file = try FileDescriptor.open(path, O_RDONLY) } catch {
      if error.rawValue == ENOENT { return .missing }
      throw SystemError("cannot read \(path): \(error)", errno: error)
    }
    defer { file.close() }
    return try readAll(file, limit: limit, what: path)
  }

  /// Reads a descriptor to EOF; past `limit` it keeps draining (so the writer never sees EPIPE) and reports the size.
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
  let text = "routed-hook: \(line)\n"
  try? FileDescriptor.standardError.writeAll(Array(text.utf8))
}
