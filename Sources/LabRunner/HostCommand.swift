import ArgumentParser
import LabKit

extension RoutedLab {
  struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "host",
      abstract: "Act on a KVM host (LPAR) of the running lab.",
      discussion: """
        restart-daemon: what routed-hook sees when libvirtd restarts: `reconnect begin -` for each running guest \
        of the host. libvirt kills a guest whose reconnect fails; the lab stops it and exits non-zero.

        Examples:
          routed-lab host restart-daemon lpar11
        """
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
      case restartDaemon = "restart-daemon"
    }

    @OptionGroup var options: LabOptions

    @Argument(help: "restart-daemon.")
    var action: Action

    @Argument(help: "Host name.")
    var name: String

    func run() throws {
      let topology = try options.topology()
      guard topology.host(named: name) != nil else {
        throw ValidationError("no host '\(name)' in lab \(topology.lab)")
      }
      let lifecycle = options.lifecycle(of: topology)
      try exitOnFailure { try lifecycle.restartDaemon(host: name) }
      note(
        "\(name): reconnect done for \(lifecycle.runningGuests.filter { $0.host == name }.map(\.name).joined(separator: ", "))"
      )
    }
  }
}
