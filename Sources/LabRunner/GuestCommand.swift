import ArgumentParser
import LabKit

extension RoutedLab {
  struct GuestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "guest",
      abstract: "Start or stop a guest the way libvirt does, calling routed-hook.",
      discussion: """
        start: routed-hook prepare begin, NIC attached (tap on the switch, guest side configured), start begin, \
        started begin. A failing step runs libvirt's failed-start path (stopped end, release end) and exits \
        non-zero with the hook's error output.
        stop: routed-hook stopped end, NIC removed, release end destroyed (hook failures are warnings, as in \
        libvirt).

        Examples:
          routed-lab guest stop guest11b
          routed-lab guest start guest11b
        """
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
      case start, stop
    }

    @OptionGroup var options: LabOptions

    @Argument(help: "start or stop.")
    var action: Action

    @Argument(help: "Guest name.")
    var name: String

    func run() throws {
      let topology = try options.topology()
      guard let guest = topology.guest(named: name) else {
        throw ValidationError("no guest '\(name)' in lab \(topology.lab)")
      }
      let lifecycle = options.lifecycle(of: topology)
      switch action {
      case .start:
        guard !lifecycle.isRunning(name) else { return note("\(name) is already running") }
        try exitOnFailure { try lifecycle.start([guest]) }
        note("\(name) started")
      case .stop:
        guard lifecycle.isRunning(name) else { return note("\(name) is not running") }
        for warning in try lifecycle.stop(guest) { note("warning: \(warning)") }
        note("\(name) stopped")
      }
    }
  }
}
