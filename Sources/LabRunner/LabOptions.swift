import ArgumentParser
import LabKit

/// Options shared by the commands that act on a lab that is already up.
struct LabOptions: ParsableArguments {
  @Option(name: .long, help: "The lab to act on (default: the only lab that is up).")
  var lab: String?

  @Option(
    name: .long,
    help: "The routed-hook binary (default: beside routed-lab, else /usr/sbin, else /usr/local/sbin).")
  var hook: String?

  /// The topology of the lab that is up, read from its state directory.
  func topology() throws -> Topology {
    try LabState.topology(lab: try LabState.resolveLab(lab))
  }

  func hookDriver(for topology: Topology) -> HookDriver {
    HookDriver(names: LabNames(lab: topology.lab), hookPath: hook ?? HookDriver.defaultPath())
  }

  /// The lab's guests, started and stopped through its hook as libvirt would.
  func lifecycle(of topology: Topology) -> GuestLifecycle {
    GuestLifecycle(topology: topology, names: LabNames(lab: topology.lab), hook: hookDriver(for: topology))
  }
}

/// Runs a step whose failure ends the command: its error as `routed-lab: …` on standard error, a non-zero exit.
func exitOnFailure(_ step: () throws -> Void) throws {
  do { try step() } catch {
    note("routed-lab: \(error)")
    throw ExitCode.failure
  }
}

/// Prints to standard error, where progress and diagnostics belong.
func note(_ text: String) {
  var stream = StandardError()
  print(text, to: &stream)
}

/// Progress lines for long commands.
enum Progress {
  static func printer(prefix: String) -> @Sendable (String) -> Void {
    { line in FileHandleStderr.write("\(prefix): \(line)\n") }
  }
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    FileHandleStderr.write(string)
  }
}
