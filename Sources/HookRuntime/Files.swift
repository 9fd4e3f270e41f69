#if canImport(Glibc)
  import Glibc
#endif

/// Small blocking file reads, without Foundation, for the hook's hot path.
public enum Files {
  public enum ReadResult {
    case contents([UInt8])
    case missing
    case tooLarge(Int)
  }

  /// Reads `path` whole; `.missing` when it does not exist.
  public static func read(_ path: String, limit: Int = 16 << 20) throws(RuntimeError) -> ReadResult {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT { return .missing }
      throw RuntimeError("cannot read \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    return try readAll(fd, limit: limit, what: path)
  }

  /// Reads a descriptor to EOF; past `limit` it keeps draining (so the writer never sees EPIPE) and reports the size.
  static func readAll(_ fd: Int32, limit: Int, what: String) throws(RuntimeError) -> ReadResult {
    var data: [UInt8] = []
    var total = 0
    var failure: Int32 = 0
    // Uninitialized: zeroing 64 KiB (and faulting in all its pages) on each read costs more than the read.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { buffer in
      while true {
        let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if count < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        if count == 0 { return }
        total += count
        if total <= limit { data.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<count])) }
      }
    }
    if failure != 0 { throw RuntimeError("cannot read \(what): \(String(cString: strerror(failure)))") }
    return total > limit ? .tooLarge(total) : .contents(data)
  }
}

/// A failure in the hook's own plumbing, with the one line to print.
public struct RuntimeError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Writes one line to stderr. The hook's stdout is libvirt's replacement XML on migrate/restore, so never there.
public func printError(_ line: String) {
  let text = "routed-hook: \(line)\n"
  _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}
