import ArgumentParser
import LabKit

extension RoutedLab {
  struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show the running lab: nodes, links, addresses, guests and what routed-hook reports.",
      discussion: """
        Reads the machine, not the topology: each node's links and addresses with `ip -j`, which guests are \
        running, and `routed-hook status --json` for every host with a hook config.

        Examples:
          routed-lab status
          routed-lab status --lab seed --verbose
        """
    )

    @OptionGroup var options: LabOptions

    @Flag(name: .long, help: "Print routed-hook's status JSON whole.")
    var verbose = false

    func run() throws {
      let topology = try options.topology()
      print(
        LabStatus(
          topology: topology, names: LabNames(lab: topology.lab), hook: options.hookDriver(for: topology),
          verbose: verbose
        ).render())
    }
  }
}
