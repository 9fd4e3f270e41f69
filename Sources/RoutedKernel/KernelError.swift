import Glibc

/// A kernel operation that failed, with a message naming the object, e.g.
/// `set inet routed_hook egress: element 10.136.11.5 . "osa10": File exists`.
public struct KernelError: Error, CustomStringConvertible, Equatable {
  /// The whole human-readable message.
  public var message: String
  /// The errno the kernel returned, when there was one.
  public var code: Int32?

  /// An error with a ready message.
  public init(message: String, code: Int32? = nil) {
    self.message = message
    self.code = code
  }

  public var description: String { message }

  /// `<what>: <strerror(code)>`, with the kernel's extended-ACK text appended when it gave one.
  static func system(_ what: String, _ code: Int32, detail: String? = nil) -> KernelError {
    let reason = String(cString: strerror(code))
    let suffix = detail.map { $0.isEmpty ? "" : " (\($0))" } ?? ""
    return KernelError(message: "\(what): \(reason)\(suffix)", code: code)
  }
}
