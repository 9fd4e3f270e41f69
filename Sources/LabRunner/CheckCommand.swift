import ArgumentParser
import LabKit

extension RoutedLab {
  struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Validate a topology file without building anything.",
      discussion: """
        Prints nothing but a summary when the file is fine; otherwise the first problem as FILE:LINE:COLUMN: \
        FIELD: MESSAGE and exits non-zero.

        Examples:
          routed-lab check lab/seed.yaml
        """
    )

    @Argument(help: "Topology file (YAML).")
    var file: String

    func run() throws {
      do {
        let topology = try TopologyParser.load(path: file)
        let expectations = topology.tests.reduce(0) { $0 + $1.expectations.count }
        print(
          "\(file): lab \(topology.lab): \(topology.segments.count) segments, \(topology.hosts.count) hosts, \(topology.guests.count) guests, \(topology.machines.count) machines, \(topology.tests.count) phases, \(expectations) expectations"
        )
      } catch let error as TopologyError {
        note("\(error)")
        throw ExitCode.failure
      }
    }
  }
}
