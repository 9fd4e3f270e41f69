import CNetlink
import Glibc
import RoutedCore

/// How many hook calls ran, by kind, operation and outcome, in `<state dir>/hook-calls`: a file of fixed layout
/// that every hook process maps and adds one to with an atomic add. No lock, no parse, no rename: the hook's
/// cost is an open, an mmap and one instruction (measured in bench/RESULTS.md), and `routed-hook watch` reads it
/// for its metrics. Counters start at zero when the state directory is new (each boot, on a tmpfs /run).
///
/// Layout (little-endian, 4096 bytes): 8 bytes of magic `rhcalls1`, 56 reserved, then one UInt64 per slot,
/// slot = (kind × 10 + operation) × 4 + outcome, with kinds and operations in `HookKind`'s order and
/// outcomes in `Outcome`'s. New operations are only ever appended, so old files stay readable.
public enum HookCallCounters {
  /// What became of a call.
  public enum Outcome: Int, CaseIterable, Sendable {
    /// Exit 0 with nothing wrong.
    case ok
    /// Exit 1: libvirt refuses the operation.
    case refused
    /// An error logged and exit 0 (`stopped`, `release`, `reconnect`, port events never fail).
    case failedIgnored

    public var label: String {
      switch self {
      case .ok: "ok"
      case .refused: "refused"
      case .failedIgnored: "failed_ignored"
      }
    }
  }

  public static let fileName = "hook-calls"
  static let size = 4096
  static let magic: [UInt8] = Array("rhcalls1".utf8)
  static let firstSlot = 64
  static let operationsPerKind = 10

  /// The slot of one call, nil for an operation not in `HookKind.knownOperations`.
  static func slot(kind: HookKind, operation: String, outcome: Outcome) -> Int? {
    guard let kindIndex = HookKind.allCases.firstIndex(of: kind),
      let operationIndex = kind.knownOperations.firstIndex(of: operation)
    else { return nil }
    return (kindIndex * operationsPerKind + operationIndex) * Outcome.allCases.count + outcome.rawValue
  }

  /// Adds one call. Never fails the hook: a missing state directory (nothing was ever routed on this boot and
  /// no watch daemon made it) or any error just leaves the call uncounted.
  public static func count(kind: HookKind, operation: String, outcome: Outcome, stateDirectory: String) {
    guard let slot = slot(kind: kind, operation: operation, outcome: outcome) else { return }
    // Only a regular file of our own: a symbolic link planted at the name is not followed (its target would be
    // sized and overwritten), and a FIFO or device is left alone.
    let descriptor = open(
      stateDirectory + "/" + fileName, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.isRegularFile else { return }
    if Int(info.st_size) < size {
      // The first call of a boot sizes the file; concurrent first calls write the same bytes.
      guard ftruncate(descriptor, off_t(size)) == 0 else { return }
      _ = magic.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }
    guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
      mapping != MAP_FAILED
    else { return }
    cnl_counter_increment(mapping.advanced(by: firstSlot + slot * 8).assumingMemoryBound(to: UInt64.self))
    munmap(mapping, size)
  }

  /// One counter as read back.
  public struct Count: Sendable, Equatable {
    public var kind: HookKind
    public var operation: String
    public var outcome: Outcome
    public var calls: UInt64
  }

  /// Every non-zero counter; empty when the file does not exist or is not ours.
  public static func read(stateDirectory: String) -> [Count] {
    let descriptor = open(stateDirectory + "/" + fileName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard descriptor >= 0 else { return [] }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.isRegularFile, Int(info.st_size) >= size,
      let mapping = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED
    else { return [] }
    defer { munmap(mapping, size) }
    let bytes = UnsafeRawBufferPointer(start: mapping, count: size)
    guard Array(bytes[0..<magic.count]) == magic else { return [] }
    var counts: [Count] = []
    for kind in HookKind.allCases {
      for operation in kind.knownOperations {
        for outcome in Outcome.allCases {
          guard let slot = slot(kind: kind, operation: operation, outcome: outcome) else { continue }
          let value = cnl_counter_load(
            mapping.advanced(by: firstSlot + slot * 8).assumingMemoryBound(to: UInt64.self))
          if value > 0 { counts.append(Count(kind: kind, operation: operation, outcome: outcome, calls: value)) }
        }
      }
    }
    return counts
  }
}
