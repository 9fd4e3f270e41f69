#if canImport(Glibc)
  import Glibc
#endif
import FoundationEssentials
import RoutedCore
import RoutedKernel

/// `routed-hook doctor`'s JSON: the findings document (`{"findings":[…]}`) and saved snapshots.
public enum DoctorFiles {
  /// The findings as one compact JSON line, slashes unescaped (`10.0.0.0/8`), keys sorted.
  public static func reportJSON(_ report: DoctorReport) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
  }

  /// A snapshot as readable JSON, for `--save-snapshot` and test fixtures.
  public static func snapshotJSON(_ snapshot: HostSnapshot) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(snapshot), as: UTF8.self) + "\n"
  }

  /// A snapshot saved by `--save-snapshot`.
  public static func snapshot(fromJSON bytes: [UInt8], file: String) throws -> HostSnapshot {
    do {
      return try JSONDecoder().decode(HostSnapshot.self, from: Data(bytes))
    } catch {
      throw SystemError("\(file): not a routed-hook snapshot: \(error)")
    }
  }

  /// Writes `text` to `path`, replacing it.
  public static func write(_ text: String, to path: String) throws {
    do {
      let file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o644)
      defer { file.close() }
      try file.writeAll(Array(text.utf8))
    } catch {
      throw SystemError("cannot write \(path): \(error)", errno: error)
    }
  }
}
