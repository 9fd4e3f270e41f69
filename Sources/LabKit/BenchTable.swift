import Foundation

/// The bench's Markdown, in the talk's layout: rows are workloads, columns are paths, each cell the ratio to
/// the baseline path (the talk's attached OSA) with the absolute figure under it; one table per switch kind
/// for throughput, one for CPU cost, one for latency and retransmissions.
public enum BenchTable {
  public static func render(_ report: BenchReport) -> String {
    var lines = [
      "# routed-lab bench: the talk's pay-off, \(report.date)", "",
      "Machine: \(report.machine). Lab `\(report.lab)`. \(report.runs) run(s) per cell, each \(format(report.warmup)) s warm-up + \(format(report.duration)) s measured, runs interleaved across cells; medians, ± half the range of the runs ((max − min) / 2 / median).",
      "CPU cost is netperf's service demand: the machine's busy time in the window (/proc/stat) less the time of processes outside the lab (\(format(foreignRate(report), 2)) CPU-s per s on average here) and less the idle lab's \(format(report.idleBefore, 3)) CPU-s per s (\(report.idleAfter.map { "\(format($0, 3)) after the runs" } ?? "measured before the runs")).",
    ]
    if let wall = report.wallSeconds { lines.append("Wall time of the bench: \(Int(wall.rounded())) s.") }
    if !report.busiestProcesses.isEmpty {
      lines.append("Busiest processes meanwhile (CPU-s): \(report.busiestProcesses.joined(separator: ", ")).")
    }
    let kinds = report.paths.reduce(into: [String]()) { if !$0.contains($1.switchKind) { $0.append($1.switchKind) } }
    for kind in kinds {
      let paths = report.paths.filter { $0.switchKind == kind }
      let baseline = paths.first(where: \.baseline) ?? report.paths.first(where: \.baseline)
      let title = kind == "ovs" ? "Open vSwitch (userspace datapath)" : "Linux bridge"
      let against = baseline.map { "relative to \($0.label) (\($0.key))" } ?? "absolute"
      lines += ["", "## \(title): throughput, \(against)", ""]
      lines += table(report, paths: paths) { cell, base in
        guard let run = cell.median else { return "—" }
        let unit = isStreaming(cell.workload) ? "Gbit/s" : "tx/s"
        return "\(ratio(run.throughput, base?.median?.throughput))<br>\(number(run.throughput)) \(unit) \(spread(cell.throughputSpread))"
      }
      lines += ["", "## \(title): CPU cost per transaction or GB, \(against)", ""]
      lines += table(report, paths: paths) { cell, base in
        guard let run = cell.median else { return "—" }
        let unit = isStreaming(cell.workload) ? "CPU-s/GB" : "µs/tx"
        return "\(ratio(run.cost, base?.median?.cost))<br>\(number(run.cost)) \(unit) \(spread(cell.costSpread))"
      }
      lines += ["", "## \(title): round trip p50 / p99 (µs) and TCP retransmissions", ""]
      lines += table(report, paths: paths) { cell, _ in
        guard let run = cell.median else { return "—" }
        let latency = run.p50.map { "\(number($0)) / \(number(run.p99 ?? 0)) µs<br>" } ?? ""
        return "\(latency)\(run.retransmissions) of \(run.segments) retr."
      }
    }
    if let claims = BenchClaims.render(report) {
      lines += ["", "## The talk's claims next to this run", "", claims]
    }
    let failed = report.cells.filter { $0.error != nil }
    if !failed.isEmpty {
      lines += ["", "Failed cells:"] + failed.map { "- \($0.workload) on \($0.path): \($0.error ?? "")" }
    }
    if let check = report.generatorCheck {
      lines += [
        "", "## The request/response generator next to sockperf", "",
        "rr1c-200x200--1 and `sockperf ping-pong --tcp -m 200` (one connection, closed loop) on \(check.path), \(format(check.seconds)) s each; sockperf's half round trips doubled.",
        "", "| tool | transactions/s | p50 µs | p99 µs |", "|---|---|---|---|",
        "| routed-lab rr | \(number(check.ours.transactionsPerSecond)) | \(number(check.ours.p50)) | \(number(check.ours.p99)) |",
        "| sockperf | \(number(check.sockperf.transactionsPerSecond)) | \(number(check.sockperf.p50)) | \(number(check.sockperf.p99)) |",
      ]
    }
    lines += ["", "Paths:"]
    lines += report.paths.map { "- `\($0.key)`: \($0.label), \($0.from) → \($0.to)\($0.baseline ? " (baseline)" : "")" }
    return lines.joined(separator: "\n") + "\n"
  }

  private static func table(
    _ report: BenchReport, paths: [BenchReport.PathInfo],
    _ cell: (BenchReport.Cell, BenchReport.Cell?) -> String
  ) -> [String] {
    let baseline = paths.first(where: \.baseline) ?? report.paths.first(where: \.baseline)
    var lines = [
      "| workload | " + paths.map { $0.label }.joined(separator: " | ") + " |",
      "|---|" + paths.map { _ in "---|" }.joined(),
    ]
    for workload in report.workloads {
      let base = baseline.flatMap { report.cell(workload: workload, path: $0.key) }
      let cells = paths.map { path in
        report.cell(workload: workload, path: path.key).map { cell($0, base) } ?? "—"
      }
      lines.append("| \(workload) | " + cells.joined(separator: " | ") + " |")
    }
    return lines
  }

  /// CPU-seconds per second that processes outside the lab used, averaged over every run.
  static func foreignRate(_ report: BenchReport) -> Double {
    let runs = report.cells.flatMap(\.runs)
    guard !runs.isEmpty, report.duration > 0 else { return 0 }
    return runs.map(\.foreignCpuSeconds).reduce(0, +) / Double(runs.count) / report.duration
  }

  static func isStreaming(_ workload: String) -> Bool { workload.hasPrefix("str-") }

  static func ratio(_ value: Double, _ base: Double?) -> String {
    guard let base, base > 0 else { return "—" }
    return "**\(String(format: "%.2f", value / base))×**"
  }

  static func spread(_ value: Double?) -> String {
    guard let value else { return "" }
    return "±\(Int((value * 50).rounded()))%"
  }

  /// Three significant digits, thousands separated.
  static func number(_ value: Double) -> String {
    if value >= 100 {
      let rounded = Int(value.rounded())
      let digits = String(rounded)
      var grouped = ""
      for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
        grouped.append(character)
      }
      return grouped
    }
    return value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
  }

  static func format(_ value: Double, _ digits: Int = 1) -> String {
    value == value.rounded() && digits == 1 ? String(Int(value)) : String(format: "%.\(digits)f", value)
  }
}
