#if canImport(Glibc)
  import Glibc
#endif

/// Enters a named network namespace on the current thread only, for the time of one call.
/// A socket keeps the namespace it was created in, so probes can open sockets in any lab namespace
/// without starting a process. Glibc's Swift overlay hides `setns`, so it is looked up at run time.
enum NamespaceSwitch {
  private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
  private static let cloneNewNet: Int32 = 0x4000_0000

  private static let setns: SetNS? = {
    guard let symbol = dlsym(nil, "setns") else { return nil }
    return unsafeBitCast(symbol, to: SetNS.self)
  }()

  /// Runs `body` with this thread in namespace `name`, and always returns the thread to where it was.
  static func inside<T>(_ name: String, _ body: () throws -> T) throws -> T {
    guard let setns else { throw LabError("setns is not available") }
    let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
    guard target >= 0 else { throw LabError("namespace \(name) does not exist") }
    defer { close(target) }
    let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
    guard home >= 0 else { throw LabError("cannot open this thread's namespace") }
    defer { close(home) }
    guard setns(target, cloneNewNet) == 0 else {
      throw LabError("cannot enter namespace \(name): \(String(cString: strerror(errno)))")
    }
    defer {
      // Failing to return would leave every later probe of this thread in the wrong namespace.
      if setns(home, cloneNewNet) != 0 { fatalError("cannot return from namespace \(name)") }
    }
    return try body()
  }
}
