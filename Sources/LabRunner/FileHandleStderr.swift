import Foundation

/// Unbuffered writes to standard error, so progress lines appear as phases run.
enum FileHandleStderr {
  static func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}
