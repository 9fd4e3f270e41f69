#if canImport(Glibc)
  import Glibc
#endif

/// A failure of the watch daemon, with the errno behind it when there is one.
public struct WatchError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var code: Int32

  public init(_ message: String, code: Int32 = 0) {
    self.message = message
    self.code = code
  }

  static func system(_ what: String, _ code: Int32) -> WatchError {
    WatchError("\(what): \(String(cString: strerror(code)))", code: code)
  }

  public var description: String { message }
}
