import Glibc
import RoutedCore

/// What was applied per domain, one JSON file each: `<directory>/<uuid>.json`.
public struct RecordStore {
  /// Where the records live.
  public var directory: String

  /// A store in `directory`, created (0700) on first write.
  public init(directory: String = "/run/routed-hook") { self.directory = directory }

  /// The record of `uuid`, or nil when there is none.
  public func load(uuid: String) throws -> DomainRecord? {
    try read(path(uuid))
  }

  /// Every record, in no particular order.
  public func all() throws -> [DomainRecord] {
    guard let stream = opendir(directory) else {
      if errno == ENOENT { return [] }
      throw SystemError.system("open \(directory)", errno)
    }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(nulTerminated: $0) }
      // Temporary files start with a dot; only finished records count.
      if name.hasSuffix(".json") && !name.hasPrefix(".") { names.append(name) }
    }
    return try names.sorted().compactMap { try read(directory + "/" + $0) }
  }

  /// Writes atomically: temp file, fsync, rename over the old record. After any crash a record is whole,
  /// the old one or the new one. The rename itself is not synced (an fsync of the directory): a crash that
  /// loses it is a machine crash, which loses the routes and set elements the record describes as well, and
  /// a record left over from before it is what `reconcile` removes.
  public func write(_ record: DomainRecord) throws {
    try writeAhead(record, syncInBackground: false).finish()
  }

  /// Writes the record's temporary file and starts its fsync on a helper thread; `finish()` waits for it
  /// and renames the record into place. A hook reads the kernel meanwhile: the fsync is most of a write.
  public func writeAhead(_ record: DomainRecord, syncInBackground: Bool = true) throws -> PendingWrite {
    let target = try path(record.domain.uuid)
    try StateDirectory.create(directory)
    let data = Array(RecordJSON.text(record).utf8)
    let temporary = "\(directory)/.\(record.domain.uuid).json.\(getpid()).tmp"
    let file: FileDescriptor
    do { file = try Self.createNew(temporary) } catch {
      throw SystemError.system("create \(temporary)", error.rawValue)
    }
    do { try file.writeAll(data) } catch {
      file.close()
      unlink(temporary)
      throw SystemError.system("write \(temporary)", error.rawValue)
    }
    return PendingWrite(
      descriptor: file.rawValue, temporary: temporary, target: target, syncInBackground: syncInBackground)
  }

  /// A new file only: never through a symbolic link someone placed there, never into an existing file. One
  /// left by a crashed process of the same pid is ours to remove.
  private static func createNew(_ path: String) throws(Errno) -> FileDescriptor {
    let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
    do { return try FileDescriptor.open(path, flags, permissions: 0o600) } catch {
      guard error.rawValue == EEXIST else { throw error }
    }
    unlink(path)
    return try FileDescriptor.open(path, flags, permissions: 0o600)
  }

  /// A record whose temporary file is written; nothing is in place until `finish()`, and a pending write
  /// dropped unfinished leaves no file behind.
  public final class PendingWrite {
    private let descriptor: Int32
    private let temporary: String
    private let target: String
    /// The helper thread running fsync; nil syncs in `finish()` itself.
    private var thread: pthread_t?
    private var finished = false

    init(descriptor: Int32, temporary: String, target: String, syncInBackground: Bool) {
      self.descriptor = descriptor
      self.temporary = temporary
      self.target = target
      guard syncInBackground else { return }
      var thread = pthread_t()
      let started = pthread_create(
        &thread, nil,
        { argument in
          // The descriptor travels in the pointer's bits, the errno back the same way (nil for success).
          let descriptor = Int32(truncatingIfNeeded: Int(bitPattern: argument))
          return fsync(descriptor) == 0 ? nil : UnsafeMutableRawPointer(bitPattern: Int(errno))
        }, UnsafeMutableRawPointer(bitPattern: Int(descriptor)))
      if started == 0 { self.thread = thread }
    }

    /// Waits until the data is on disk, then renames the record over the old one.
    public func finish() throws {
      guard !finished else { return }
      finished = true
      let code = synced()
      close(descriptor)
      guard code == 0 else {
        unlink(temporary)
        throw SystemError.system("fsync \(temporary)", code)
      }
      guard rename(temporary, target) == 0 else {
        let code = errno
        unlink(temporary)
        throw SystemError.system("rename \(temporary)", code)
      }
    }

    /// The fsync's errno, 0 for success.
    private func synced() -> Int32 {
      guard let thread else { return fsync(descriptor) == 0 ? 0 : errno }
      var result: UnsafeMutableRawPointer?
      pthread_join(thread, &result)
      return Int32(truncatingIfNeeded: Int(bitPattern: result))
    }

    deinit {
      guard !finished else { return }
      _ = synced()
      close(descriptor)
      unlink(temporary)
    }
  }

  /// Deletes the record of `uuid`; a missing record is fine. Not synced, like a rename in `write`.
  public func delete(uuid: String) throws {
    let target = try path(uuid)
    guard unlink(target) == 0 else {
      if errno == ENOENT { return }
      throw SystemError.system("delete \(target)", errno)
    }
  }

  /// The record's path; refuses UUIDs that could name a file outside the directory.
  private func path(_ uuid: String) throws -> String {
    guard !uuid.isEmpty, !uuid.hasPrefix("."), !uuid.contains("/") else {
      throw SystemError("record: invalid domain UUID \"\(uuid)\"")
    }
    return "\(directory)/\(uuid).json"
  }

  /// The largest record read: a domain with hundreds of NICs writes a few hundred KiB.
  static let maximumSize = 4 << 20

  /// A record, or nil when there is none. A file that is not one (garbage, a FIFO, a symbolic link, too
  /// large) is moved aside to `<name>.corrupt` and logged: left in place it would block that domain's
  /// start forever, and reading a FIFO or `/dev/zero` would hang the hook while it holds the lock.
  private func read(_ path: String) throws -> DomainRecord? {
    let opened: (file: FileDescriptor, size: Int)?
    do { opened = try FileDescriptor.openRegularFile(path, followLinks: false) } catch {
      if error.rawValue == ENOENT { return nil }
      if error.rawValue == ELOOP { return quarantine(path, "a symbolic link") }
      throw SystemError.system("open \(path)", error.rawValue)
    }
    guard case let (file, size)? = opened else { return quarantine(path, "not a regular file") }
    defer { file.close() }
    guard size <= Self.maximumSize else {
      return quarantine(path, "\(size) bytes, over the \(Self.maximumSize >> 20) MiB limit")
    }
    let data: (bytes: [UInt8], total: Int)
    do { data = try file.readAll(limit: Self.maximumSize) } catch {
      throw SystemError.system("read \(path)", error.rawValue)
    }
    guard data.total <= Self.maximumSize, let record = RecordJSON.record(data.bytes) else {
      return quarantine(path, "not a valid record")
    }
    return record
  }

  /// Moves a file that is no record out of the way (renaming a symbolic link moves the link, not its target).
  private func quarantine(_ path: String, _ why: String) -> DomainRecord? {
    let aside = path + ".corrupt"
    let moved = rename(path, aside) == 0
    AuditLog.record(
      "record \(path): \(why); \(moved ? "moved aside to \(aside)" : "could not be moved aside"), treated as absent"
    )
    return nil
  }
}
