import Glibc

/// Every failure of routed-hook's effects (netlink, files, the lock, child processes, libvirt's loader),
/// as one line naming the object, e.g. `set inet routed_hook egress: element 10.136.11.5 . "osa10": File
/// exists`, with the errno when the kernel or a system call gave one.
public struct SystemError: Error, CustomStringConvertible, Equatable {
  /// The whole human-readable message.
  public var message: String
  public var errno: Errno?

  public init(_ message: String, errno: Errno? = nil) {
    self.message = message
    self.errno = errno
  }

  public var description: String { message }

  /// `<what>: <strerror(code)>`, with the kernel's extended-ACK text appended when it gave one.
  static func system(_ what: String, _ code: Int32, detail: String? = nil) -> SystemError {
    let suffix = detail.map { $0.isEmpty ? "" : " (\($0))" } ?? ""
    return SystemError("\(what): \(Errno(code))\(suffix)", errno: Errno(code))
  }
}

/// An errno value, printed as strerror prints it (modelled on swift-system's `Errno`).
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
  public var rawValue: Int32

  public init(_ rawValue: Int32) { self.rawValue = rawValue }

  /// The calling thread's errno, right after a failed call.
  static var current: Errno { Errno(Glibc.errno) }

  public var description: String { String(cString: strerror(rawValue)) }
}

/// Runs a system call that fails with a negative result and errno, again while a signal interrupts it:
/// the one place routed-hook handles EINTR (swift-system's `valueOrErrno(retryOnInterrupt:)`).
public func retryingInterrupts<Result: FixedWidthInteger>(_ call: () -> Result) throws(Errno) -> Result {
  while true {
    let result = call()
    if result >= 0 { return result }
    let error = Errno.current
    if error.rawValue != EINTR { throw error }
  }
}
