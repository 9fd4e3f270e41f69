import ArgumentParser
import Foundation
import LabKit

extension RoutedLab {
  struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "test",
      abstract: "Run the expectation matrix on the running lab and print a table.",
      discussion: """
        Runs each test phase of the topology in order: its actions (guest stop/start, daemon restart, migration, \
        NIC hotplug through routed-hook), then its expectations, checked only with independent tools (ping, \
        arping, TCP connects from inside the namespaces, ip -j counters and routes, nft -j) and, for doctor and \
        refused rows, routed-hook's own verdict. Exits non-zero when any row fails.

        With several files, each file's lab must be up (or use --up, which builds each lab before its tests and \
        removes it after); a table per file and one totals line per file are printed.

        Examples:
          routed-lab test
          routed-lab test lab/seed.yaml
          routed-lab test --phase running
          routed-lab test --up lab/pitfalls/*.yaml
          routed-lab test --up lab/seed-l3.yaml lab/migration.yaml
          routed-lab test --up lab/seed.yaml --switch linux-bridge --bridge-netfilter on
        """
    )

    @Argument(help: "Topology files (default: the one the running lab was built from).")
    var files: [String] = []

    @OptionGroup var options: LabOptions

    @Option(name: .long, help: "Run only this phase (repeatable).")
    var phase: [String] = []

    @Option(name: .long, help: "How many expectations run at once; 1 runs them one after another.")
    var parallel = 8

    @Flag(name: .long, help: "Build each file's lab first and remove it after its tests.")
    var up = false

    @OptionGroup var switches: SwitchOptions

    func run() throws {
      let override = try switches.override()
      if files.isEmpty {
        if up { throw ValidationError("--up needs topology files") }
        if override != nil {
          throw ValidationError(
            "--switch and --bridge-netfilter apply to files; a running lab keeps its switches")
        }
        let rows = try runOne(topology: options.topology())
        if rows.contains(where: { !$0.passed }) { throw ExitCode.failure }
        return
      }
      var totals: [String] = []
      var failed = false
      for file in files {
        let started = Date()
        let rows: [TestRunner.Row]
        do {
          let topology = try TopologyParser.load(path: file, override: override)
          rows =
            try up
            ? withLab(topology, file: file) { try runOne(topology: topology) } : runOne(topology: topology)
        } catch let error as ExitCode {
          throw error
        } catch {
          note("routed-lab: \(file): \(error)")
          totals.append("\(file): not run (\(error))")
          failed = true
          continue
        }
        let failures = rows.filter { !$0.passed }.count
        failed = failed || failures > 0
        let label = override.map { "\(file) (\($0))" } ?? file
        totals.append(
          "\(label): \(rows.count - failures) passed, \(failures) failed, \(rows.count) rows in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
        )
      }
      if files.count > 1 {
        print("")
        print(totals.joined(separator: "\n"))
      }
      if failed { throw ExitCode.failure }
    }

    private func runOne(topology: Topology) throws -> [TestRunner.Row] {
      let runner = TestRunner(
        topology: topology, names: LabNames(lab: topology.lab), hook: options.hookDriver(for: topology),
        width: parallel)
      let rows = runner.run(only: phase) { row in
        note("test: \(row.passed ? "pass" : "FAIL") \(topology.lab) \(row.phase): \(row.name)")
      }
      if files.count > 1 || topology.switchOverride != nil {
        print("== \(topology.lab)\(topology.switchOverride.map { " (\($0))" } ?? "")")
      }
      print(ResultTable.render(rows))
      return rows
    }

    /// `up`, the body, then `down` whatever happened.
    private func withLab<T>(_ topology: Topology, file: String, _ body: () throws -> T) throws -> T {
      let names = LabNames(lab: topology.lab)
      let clock = PhaseClock()
      try LabBuilder(
        topology: topology, names: names, hook: options.hookDriver(for: topology), sourcePath: file
      ).up(
        clock: clock)
      note("lab \(topology.lab) is up in \(Int(clock.total * 1000)) ms")
      defer {
        let report = try? LabTeardown(names: names).run()
        for leftover in report?.leftovers ?? [] { note("  left: \(leftover)") }
      }
      return try body()
    }
  }
}
