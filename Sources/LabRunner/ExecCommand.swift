import ArgumentParser
import Foundation
import LabKit

struct ExecCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec",
    abstract: "Run a command inside a lab node's namespace.",
    discussion: """
      The node is any segment, host, guest or machine of the running lab. The command replaces routed-lab, \
      so it is interactive and its exit status is the command's.

      Examples:
        routed-lab exec guest11a -- ping -c1 10.0.0.10
        routed-lab exec lpar11 -- ip route
        routed-lab exec lpar11 -- nft list ruleset
        routed-lab exec prod -- arping -c1 -I eth0 10.136.11.5
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
    let argv =
      ["ip", "netns", "exec", LabNames(lab: topology.lab).namespace(node)]
      + (command.isEmpty ? ["sh"] : command)
    let cArguments = argv.map { strdup($0) } + [nil]
    execvp("ip", cArguments)
    throw ValidationError("cannot run ip: \(String(cString: strerror(errno)))")
  }
}
