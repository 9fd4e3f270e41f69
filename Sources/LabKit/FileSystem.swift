import Foundation

/// Small file helpers over Foundation, so the rest of LabKit reads as intent.
enum FileSystem {
  static func exists(_ path: String, isDirectory: inout Bool) -> Bool {
    var flag: ObjCBool = false
    let found = FileManager.default.fileExists(atPath: path, isDirectory: &flag)
    isDirectory = flag.boolValue
    return found
  }

  static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  static func read(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(data: data, encoding: .utf8)
  }

  static func write(_ text: String, to path: String) throws {
    try makeDirectory((path as NSString).deletingLastPathComponent)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  static func append(_ text: String, to path: String) throws {
    if let handle = FileHandle(forWritingAtPath: path) {
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(text.utf8))
    } else {
      try write(text, to: path)
    }
  }

  static func makeDirectory(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

  static func list(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }
}
