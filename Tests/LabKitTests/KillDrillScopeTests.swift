import Foundation
import Testing

@testable import LabKit

/// Issue 11, defect 13: the kill drill SIGKILLed any process on the machine running the routed-hook binary.
/// It now takes only processes in the lab namespace its libvirtd runs in (and so its hook children).
@Suite(.enabled(if: getuid() == 0, "root is needed to create a network namespace"))
struct KillDrillScopeTests {
  @Test func onlyProcessesInTheLabsNamespaceAreTargets() throws {
    let namespace = "rhk-drill-\(UUID().uuidString.prefix(6).lowercased())"
    func run(_ arguments: [String]) throws -> Process {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: arguments[0])
      process.arguments = Array(arguments.dropFirst())
      try process.run()
      return process
    }
    try run(["/usr/sbin/ip", "netns", "add", namespace]).waitUntilExit()
    defer { try? run(["/usr/sbin/ip", "netns", "del", namespace]).waitUntilExit() }
    // The same binary twice: once inside the namespace (a lab hook call), once outside (a real one).
    let inside = try run(["/usr/sbin/ip", "netns", "exec", namespace, "/bin/sleep", "30"])
    let outside = try run(["/bin/sleep", "30"])
    defer {
      kill(inside.processIdentifier, SIGKILL)
      kill(outside.processIdentifier, SIGKILL)
      inside.waitUntilExit()
      outside.waitUntilExit()
    }
    let members = try NamespaceMembers(namespace: namespace)
    // `ip netns exec` execs the command in place once it has entered the namespace.
    var entered = false
    for _ in 0..<100 where !entered {
      entered = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(inside.processIdentifier)/exe"))
        == "/usr/bin/sleep"
      if !entered { usleep(10_000) }
    }
    #expect(entered)
    #expect(members.contains(inside.processIdentifier))
    #expect(!members.contains(outside.processIdentifier), "a process outside the lab is never a target")
    #expect(!members.contains(getpid()))
    #expect(throws: LabError.self) { _ = try NamespaceMembers(namespace: namespace + "-absent") }
  }
}
