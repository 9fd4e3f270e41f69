import ArgumentParser
import Foundation
import LabKit

extension RoutedLab {
  struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "exec",
      abstract: "Run a command inside a lab node's namespace.",
      discussion: """
        The node is any segment, host, guest or machine of the running lab. The command replaces routed-lab, \
        so it is interactive and its exit status is the command's. A QEMU guest (libvirt: true hosts) has no \
        namespace on the host: its command runs over the VM's serial console, not interactively.

        Examples:
          routed-lab exec guest11a -- ping -c1 10.0.0.10
          routed-lab exec lpar11 -- ip route
          routed-lab exec lpar11 -- nft list ruleset
          routed-lab exec prod -- arping -c1 -I eth0 10.136.11.5
          routed-lab exec vm01 -- ip addr show dev eth0      # a QEMU guest (busybox), over its serial console
        """
    )

    @OptionGroup var options: LabOptions

    @Argument(help: "Node name.")
    var node: String

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func run() throws {
      let topology = try options.topology()
      guard topology.nodeNames.contains(node) else {
        throw ValidationError(
          "no node '\(node)' in lab \(topology.lab) (nodes: \(topology.nodeNames.joined(separator: ", ")))")
      }
      if let guest = topology.guest(named: node), guest.domain == .qemu {
        // A VM has no namespace on the host: the command goes over its serial console, not interactively.
        guard !command.isEmpty else {
          throw ValidationError("\(node) is a QEMU guest: give a command after --")
        }
        let shellLine = command.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        let reply = try GuestShell.run(shellLine, in: guest, names: LabNames(lab: topology.lab))
        print(reply.output, terminator: "")
        throw ExitCode(reply.status)
      }
      let argv =
        ["ip", "netns", "exec", LabNames(lab: topology.lab).namespace(node)]
        + (command.isEmpty ? ["sh"] : command)
      let cArguments = argv.map { strdup($0) } + [nil]
      execvp("ip", cArguments)
      throw ValidationError("cannot run ip: \(String(cString: strerror(errno)))")
    }
  }
}
