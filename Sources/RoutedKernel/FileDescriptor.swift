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

  /// Opens an existing file for reading, if it is a regular file; nil (and closed again) when it is anything
  /// else. Never blocks: opening a FIFO waits for a writer, and reading a FIFO or a device (`/dev/zero`) may
  /// never end, while a hook holds its lock. `followLinks: false` adds O_NOFOLLOW (a symbolic link as the last
  /// component fails with ELOOP), for files in directories routed-hook owns.
  public static func openRegularFile(_ path: String, followLinks: Bool = true) throws(Errno)
    -> (file: FileDescriptor, size: Int)?
  {
    let file = try open(path, O_RDONLY | O_NONBLOCK | (followLinks ? 0 : O_NOFOLLOW))
    let status: stat
    do { status = try file.status() } catch {
      file.close()
      throw error
    }
    guard status.isRegularFile else {
      file.close()
      return nil
    }
    return (file, Int(status.st_size))
  }

  /// What the descriptor refers to (fstat).
  public func status() throws(Errno) -> stat {
    var status = stat()
    _ = try retryingInterrupts { fstat(rawValue, &status) }
    return status
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

  /// How much of an oversized stream `readAll` reads and throws away before it gives up: enough that a
  /// writer of a large document (libvirt) sees it read rather than a broken pipe; finite, so `yes |` or
  /// `/dev/zero` cannot keep a hook busy forever.
  public static let drainLimit = 64 << 20

  /// Reads to the end; past `limit` bytes it keeps reading (so a writer never sees EPIPE) but keeps nothing
  /// more, up to `drainLimit` bytes in all, and `total` says how much it saw. At most `limit` bytes are held.
  public func readAll(limit: Int) throws(Errno) -> (bytes: [UInt8], total: Int) {
    var bytes: [UInt8] = []
    var total = 0
    let stop = max(limit, Self.drainLimit)
    // Uninitialized: zeroing 64 KiB (and faulting in its pages) per read costs more than a record or config.
    try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { (buffer) throws(Errno) in
      while total <= stop {
        let count = try read(into: UnsafeMutableRawBufferPointer(buffer))
        if count == 0 { return }
        if total + count <= limit {
          bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
        total += count
      }
    }
    return (bytes, total)
  }

  public func close() { _ = Glibc.close(rawValue) }
}

extension stat {
  /// A regular file: not a directory, FIFO, socket, device or symbolic link.
  public var isRegularFile: Bool { st_mode & S_IFMT == S_IFREG }
}
