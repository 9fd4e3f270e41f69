import ArgumentParser
import Foundation
import LabKit

extension RoutedLab {
  struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "bench",
      abstract: "Measure the talk's pay-off: throughput, CPU cost, latency and retransmissions per workload and path.",
      discussion: """
        Runs the talk's uperf-named workloads (rr1c-<request>x<response>--<connections>, \
        str-readx<size>--<connections>) on the paths of the topology's bench: section, each cell --runs times, \
        interleaved, and writes a Markdown table (ratios to the baseline path with absolute figures), JSON and an \
        SVG chart to --output. Request/response runs our own generator (uperf's semantics), streaming runs iperf3. \
        CPU cost is machine-wide /proc/stat less the CPU of processes outside the lab and less the idle lab's rate. \
        Uses the lab that is up, or builds the topology (default lab/bench.yaml), measures and removes it, checking \
        that namespaces, root links, lab processes and root nft tables are as before. Hold the lab lock: another \
        lab skews every figure. Methods: docs/bench.md.

        Examples:
          routed-lab bench
          routed-lab bench --quick --output /tmp/bench
          routed-lab bench --workloads rr1c-200x1000--1,str-readx30k--10 --paths osa-routed,osa-attached --runs 5
          routed-lab bench lab/bench.yaml --switch linux-bridge --output /tmp/bench
        """
    )

    @Argument(help: "Topology file with a bench: section (default: the lab that is up, else lab/bench.yaml).")
    var file: String?

    @Option(name: .long, help: "Comma-separated workloads (default: the talk's eight).")
    var workloads: String?

    @Option(name: .long, help: "Comma-separated path names or keys such as osa-routed or ovs/osa-routed (default: all).")
    var paths: String?

    @Option(name: .customLong("switch"), help: "Only paths whose guests sit on this switch kind (ovs, linux-bridge).")
    var switchKind: String?

    @Option(name: .long, help: "Runs per cell; the table shows medians.")
    var runs = 3

    @Option(name: .long, help: "Measured seconds per run.")
    var duration = 2.0

    @Option(name: .long, help: "Unmeasured warm-up seconds before each run.")
    var warmup = 0.5

    @Flag(name: .long, help: "One workload, the baseline and one other path, one short run: proves the bench works.")
    var quick = false

    @Option(name: .long, help: "Directory for dataplane.md, .json and .svg (dataplane-quick.* with --quick).")
    var output = "bench"

    @OptionGroup var options: LabOptions

    func validate() throws {
      guard runs >= 1 && runs <= 50 else { throw ValidationError("--runs must be 1 to 50, not \(runs)") }
      guard duration >= 0.2 && duration <= 120 else { throw ValidationError("--duration must be 0.2 to 120 s") }
      guard warmup >= 0 && warmup <= 30 else { throw ValidationError("--warmup must be 0 to 30 s") }
      if let switchKind, SwitchKind(rawValue: switchKind) == nil {
        throw ValidationError("--switch: '\(switchKind)' is not a switch kind (ovs, linux-bridge)")
      }
    }

    func run() throws {
      Interruption.install()
      let (topology, source, running) = try locate()
      guard let spec = topology.bench else {
        throw ValidationError("\(source) has no bench: section (lab/bench.yaml has the talk's paths)")
      }
      let selectedWorkloads = try chosenWorkloads()
      let selectedPaths = try chosenPaths(spec)
      let names = LabNames(lab: topology.lab)
      let runner = BenchRunner(
        topology: topology, names: names, paths: selectedPaths, workloads: selectedWorkloads, runs: quick ? 1 : runs,
        warmup: quick ? 0.2 : warmup, duration: quick ? 1 : duration, idleSeconds: quick ? 0.5 : 2,
        checkGenerator: !quick, progress: Progress.printer(prefix: "bench"))
      let cells = selectedWorkloads.count * selectedPaths.count * runner.runs
      note(
        "bench: \(selectedWorkloads.count) workload(s) × \(selectedPaths.count) path(s) × \(runner.runs) run(s) = \(cells) measurements of \(runner.warmup + runner.duration) s on lab \(topology.lab)"
      )
      let report: BenchReport
      if running {
        report = try runner.run()
      } else {
        report = try withLab(topology, file: source) { try runner.run() }
      }
      let stem = "\(output)/dataplane\(quick ? "-quick" : "")"
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
      try BenchTable.render(report).write(toFile: "\(stem).md", atomically: true, encoding: .utf8)
      try report.json().write(toFile: "\(stem).json", atomically: true, encoding: .utf8)
      try BenchChart.render(report).write(toFile: "\(stem).svg", atomically: true, encoding: .utf8)
      print(BenchTable.render(report))
      note("bench: wrote \(stem).md, \(stem).json, \(stem).svg in \(Int((report.wallSeconds ?? 0).rounded())) s")
      let failed = report.cells.filter { $0.error != nil }.count
      if failed > 0 {
        note("bench: \(failed) cell(s) failed (listed in the table)")
        throw ExitCode.failure
      }
    }

    /// The topology, where it came from, and whether its lab is already up.
    private func locate() throws -> (Topology, String, Bool) {
      if let file {
        let topology = try TopologyParser.load(path: file)
        return (topology, file, Journal.labs().contains(topology.lab))
      }
      if options.lab != nil || Journal.labs().count == 1 {
        let lab = try LabState.resolveLab(options.lab)
        return (try LabState.topology(lab: lab), "lab \(lab)", true)
      }
      guard Journal.labs().isEmpty else {
        throw ValidationError("several labs are up (\(Journal.labs().joined(separator: ", "))); pass --lab or a file")
      }
      let fallback = "lab/bench.yaml"
      guard FileManager.default.fileExists(atPath: fallback) else {
        throw ValidationError("no lab is up and there is no \(fallback) here: pass a topology file")
      }
      return (try TopologyParser.load(path: fallback), fallback, false)
    }

    private func chosenWorkloads() throws -> [BenchWorkload] {
      if quick { return [BenchWorkload.quick] }
      guard let workloads else { return BenchWorkload.talk }
      return try workloads.split(separator: ",").map { name in
        guard let workload = BenchWorkload(String(name)) else {
          throw ValidationError(
            "--workloads: '\(name)' is not a workload (rr1c-<request>x<response>--<connections>, str-readx<size>--<connections>, str-writex<size>--<connections>; sizes like 200 or 30k)"
          )
        }
        return workload
      }
    }

    private func chosenPaths(_ spec: BenchSpec) throws -> [BenchSpec.Path] {
      var chosen = spec.paths
      if let switchKind { chosen = chosen.filter { $0.switchKind.rawValue == switchKind } }
      if quick { chosen = BenchSpec(baseline: spec.baseline, paths: chosen).quickPaths }
      if let paths {
        let wanted = paths.split(separator: ",").map(String.init)
        for name in wanted where !chosen.contains(where: { $0.name == name || $0.key == name }) {
          throw ValidationError("--paths: '\(name)' is not a path (\(spec.paths.map(\.key).joined(separator: ", ")))")
        }
        chosen = chosen.filter { wanted.contains($0.name) || wanted.contains($0.key) }
      }
      guard !chosen.isEmpty else { throw ValidationError("no path left to measure") }
      return chosen
    }

    /// Up, the body, down, and the machine as before (the lab demo's check).
    private func withLab<T>(_ topology: Topology, file: String, _ body: () throws -> T) throws -> T {
      let before = LabFootprint.now()
      let names = LabNames(lab: topology.lab)
      let clock = PhaseClock(progress: Progress.printer(prefix: "up"))
      try exitOnFailure {
        try LabBuilder(topology: topology, names: names, hook: options.hookDriver(for: topology), sourcePath: file)
          .up(clock: clock)
      }
      note("bench: lab \(topology.lab) is up in \(Int(clock.total * 1000)) ms")
      let result: Result<T, Error> = Result { try body() }
      let report = try LabTeardown(names: names).run()
      for leftover in report.leftovers { note("bench: left: \(leftover)") }
      let differences = before.differences(to: LabFootprint.now())
      if !differences.isEmpty {
        note("bench: the machine differs after down:\n" + differences.joined(separator: "\n"))
        throw ExitCode.failure
      }
      note("bench: lab \(topology.lab) removed; nothing left behind")
      return try result.get()
    }
  }
}
