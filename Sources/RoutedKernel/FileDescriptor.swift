import Glibc

/// An open file descriptor with typed operations that throw `Errno` (modelled on swift-system's
/// `FileDescriptor`); interrupted calls are retried in `retryingInterrupts`. Closed by `close()` only.
public struct FileDescriptor: Sendable {
  public let rawValue: Int32

  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let standardInput = FileDescriptor(rawValue: 0)
  public static let standardError = FileDescriptor(rawValue: 2)

  /// Opens `path` with O_CLOEXEC added to `flags`.
  public static func open(_ path: String, _ flags: Int32, permissions: mode_t = 0) throws(Errno)
    -> FileDescriptor
  {
    FileDescriptor(rawValue: try retryingInterrupts { Glibc.open(path, flags | O_CLOEXEC, permissions) })
  }

  /// One read; 0 at end of file.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
    try retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
  }

  /// Writes every byte, however many calls that takes.
  public func writeAll(_ bytes: [UInt8]) throws(Errno) {
    var offset = 0
    while offset < bytes.count {
      let written = try write(bytes[offset...])
      guard written > 0 else { throw Errno(EIO) }
      offset += written
    }
  }

  /// One write; how many bytes it took.
  public func write(_ bytes: ArraySlice<UInt8>) throws(Errno) -> Int {
    let result = bytes.withUnsafeBytes { raw in
      Result { () throws(Errno) in
        try retryingInterrupts { Glibc.write(rawValue, raw.baseAddress, raw.count) }
      }
    }
    return try result.get()
  }

  /// Reads to the end; past `limit` bytes it keeps reading (so a writer never sees EPIPE) but keeps nothing
  /// more, and `total` says how much there was.
  public func readAll(limit: Int) throws(Errno) -> (bytes: [UInt8], total: Int) {
    var bytes: [UInt8] = []
    var total = 0
    // Uninitialized: zeroing 64 KiB (and faulting in its pages) per read costs more than a record or config.
    try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { (buffer) throws(Errno) in
      while true {
        let count = try read(into: UnsafeMutableRawBufferPointer(buffer))
        if count == 0 { return }
        total += count
        if total <= limit { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<count])) }
      }
    }
    return (bytes, total)
  }

  public func close() { _ = Glibc.close(rawValue) }
}
