import CNetlink
import Glibc

/// A network namespace that code can run in: the calling thread joins it with setns() and returns to its
/// own namespace afterwards. Netlink sockets keep the namespace they were created in.
struct NetworkNamespace {
  /// `/run/netns/<name>` or the path given.
  let path: String

  /// A name under /run/netns, or a path such as /proc/<pid>/ns/net.
  init(_ nameOrPath: String) {
    path = nameOrPath.contains("/") ? nameOrPath : "/run/netns/\(nameOrPath)"
  }

  func run<R>(_ body: () throws -> R) throws -> R {
    let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
    guard original >= 0 else { throw SystemError.system("open /proc/thread-self/ns/net", errno) }
    defer { close(original) }
    let target = open(path, O_RDONLY | O_CLOEXEC)
    guard target >= 0 else { throw SystemError.system("network namespace \(path)", errno) }
    defer { close(target) }
    guard cnl_setns_net(target) == 0 else {
      throw SystemError.system("enter network namespace \(path)", errno)
    }
    defer {
      // A thread left in the wrong namespace would make later effects land in the wrong place.
      if cnl_setns_net(original) != 0 { fatalError("cannot return from network namespace \(path)") }
    }
    return try body()
  }
}
