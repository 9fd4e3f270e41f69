import ArgumentParser
import LabKit

extension RoutedLab {
  struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "down",
      abstract: "Remove everything a lab made, and nothing else.",
      discussion: """
        Works from the lab's record under /run/routed-lab, with or without the topology file, also after an \
        `up` that was killed half way. Ends only the processes the lab started (by recorded PID and start \
        time), deletes the lab's namespaces (and with them every link, route and nft table inside) and any \
        root link carrying the lab's altname. Without FILE or --lab, every recorded lab is removed.

        Examples:
          routed-lab down
          routed-lab down lab/seed.yaml --timings
          routed-lab down --lab seed
        """
    )

    @Argument(help: "Topology file; only its lab name is used.")
    var file: String?

    @Option(name: .long, help: "The lab to remove.")
    var lab: String?

    @Flag(name: .long, help: "Print each phase's time and share at the end.")
    var timings = false

    func run() throws {
      var labs: [String]
      if let lab {
        labs = [lab]
      } else if let file {
        labs = [try TopologyParser.load(path: file).lab]
      } else {
        labs = Array(Set(Journal.labs()).union(Ownership.labsOnMachine())).sorted()
      }
      if labs.isEmpty { note("no lab is up") }
      var failed = false
      for lab in labs {
        let clock = PhaseClock()
        let report = try LabTeardown(names: LabNames(lab: lab)).run(clock: clock)
        note(
          "lab \(lab) is down: \(report.namespaces.count) namespaces, \(report.processes.count) processes removed in \(Int(clock.total * 1000)) ms"
        )
        for leftover in report.leftovers { note("  left: \(leftover)") }
        failed = failed || !report.leftovers.isEmpty
        if timings { note(clock.report(title: "down")) }
      }
      if failed { throw ExitCode.failure }
    }
  }
}
