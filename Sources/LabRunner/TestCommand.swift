import ArgumentParser
import LabKit

struct TestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Run the expectation matrix on the running lab and print a table.",
    discussion: """
      Runs each test phase of the topology in order: its actions (guest stop/start, daemon restart through \
      routed-hook), then its expectations, checked only with independent tools (ping, arping, TCP connects \
      from inside the namespaces, ip -j counters and routes, nft -j). Exits non-zero when any row fails.

      Examples:
        routed-lab test
        routed-lab test lab/seed.yaml
        routed-lab test --phase running
      """
  )

  @Argument(help: "Topology file (default: the one the running lab was built from).")
  var file: String?

  @OptionGroup var options: LabOptions

  @Option(name: .long, help: "Run only this phase (repeatable).")
  var phase: [String] = []

  @Option(name: .long, help: "How many expectations run at once; 1 runs them one after another.")
  var parallel = 8

  func run() throws {
    let topology = try file.map { try TopologyParser.load(path: $0) } ?? options.topology()
    let runner = TestRunner(
      topology: topology, names: LabNames(lab: topology.lab), hook: options.hookDriver(for: topology),
      width: parallel)
    let rows = runner.run(only: phase) { row in
      note("test: \(row.passed ? "pass" : "FAIL") \(row.phase): \(row.name)")
    }
    print(ResultTable.render(rows))
    if rows.contains(where: { !$0.passed }) { throw ExitCode.failure }
  }
}
