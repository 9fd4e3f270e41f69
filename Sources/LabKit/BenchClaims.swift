/// The talk's pay-off claims next to what a bench measured, for the paths of `lab/bench.yaml` (path names
/// `osa-attached`, `osa-routed`, `osa-routed-1500`, `hs-56k`, `hs-1500`, `guest-guest`). A claim whose paths
/// or workloads were not measured is left out. "agrees" is read loosely, as the talk's own words are.
public enum BenchClaims {
  /// A Markdown table: claim, workloads, the lab's figures per switch kind, verdict.
  public static func render(_ report: BenchReport) -> String? {
    let kinds = report.paths.reduce(into: [String]()) { if !$0.contains($1.switchKind) { $0.append($1.switchKind) } }
    let small = report.workloads.filter { $0.hasPrefix("rr1c-200x") && connections($0) <= 25 }
    let smallStream = report.workloads.filter { $0.hasPrefix("str-") && connections($0) <= 25 }
    let large = report.workloads.filter { $0.hasPrefix("rr1c-30k") || $0.hasPrefix("str-") }
    let many = report.workloads.filter { connections($0) >= 50 }
    var rows: [String] = []
    func row(_ claim: String, _ workloads: [String], _ figure: (String, [String]) -> (String, Bool)?) {
      guard !workloads.isEmpty else { return }
      let results = kinds.map { figure($0, workloads) }
      guard results.contains(where: { $0 != nil }) else { return }
      let cells = results.map { $0?.0 ?? "—" }
      let verdicts = results.compactMap { $0?.1 }
      let verdict = verdicts.allSatisfy { $0 } ? "yes" : verdicts.contains(true) ? "in part" : "no"
      rows.append("| \(claim) | \(workloads.joined(separator: ", ")) | \(cells.joined(separator: " | ")) | \(verdict) |")
    }
    row("routed OSA vs attached OSA, up to 25 connections, 1,500 bytes or less: throughput −5…10 %, cost under +10 %", small + smallStream) {
      kind, workloads in
      guard let throughput = range(report, kind, "osa-routed", "osa-attached", workloads, \.throughput),
        let cost = range(report, kind, "osa-routed", "osa-attached", workloads, \.cost)
      else { return nil }
      return ("throughput \(text(throughput)), cost \(text(cost))", throughput.lowerBound >= 0.85 && cost.upperBound <= 1.15)
    }
    row("routed HiperSockets (56K) vs attached OSA, transactional, 1–25 connections: throughput 2.7×", small) {
      kind, workloads in
      guard let throughput = range(report, kind, "hs-56k", "osa-attached", workloads, \.throughput) else { return nil }
      return ("throughput \(text(throughput))", throughput.lowerBound >= 1.5)
    }
    row("routed HiperSockets (56K) vs attached OSA, large packets and streaming: more than +50 %", large) {
      kind, workloads in
      guard let throughput = range(report, kind, "hs-56k", "osa-attached", workloads, \.throughput) else { return nil }
      return ("throughput \(text(throughput))", throughput.lowerBound >= 1.5)
    }
    row("routed HiperSockets, guest MTU 56K vs 1,500, large packets: 4–5× the throughput at ⅓–¼ of the cost", large) {
      kind, workloads in
      guard let throughput = range(report, kind, "hs-56k", "hs-1500", workloads, \.throughput),
        let cost = range(report, kind, "hs-56k", "hs-1500", workloads, \.cost)
      else { return nil }
      return ("throughput \(text(throughput)), cost \(text(cost))", throughput.lowerBound >= 2 && cost.upperBound <= 0.5)
    }
    row("routed HiperSockets, guest MTU 56K vs 1,500, small packets: under 1 % apart", small) { kind, workloads in
      guard let throughput = range(report, kind, "hs-56k", "hs-1500", workloads, \.throughput) else { return nil }
      return ("throughput \(text(throughput))", throughput.lowerBound >= 0.9 && throughput.upperBound <= 1.1)
    }
    row("routed OSA, guest MTU 56K vs 1,500: nearly no difference (streaming −4 % at one connection)", report.workloads) {
      kind, workloads in
      guard let throughput = range(report, kind, "osa-routed", "osa-routed-1500", workloads, \.throughput),
        let cost = range(report, kind, "osa-routed", "osa-routed-1500", workloads, \.cost)
      else { return nil }
      return ("throughput \(text(throughput)), cost \(text(cost))", throughput.lowerBound >= 0.9 && throughput.upperBound <= 1.1)
    }
    row("guest to guest on one switch is the fastest, with the shortest latency and lowest cost", report.workloads) {
      kind, workloads in
      let best = workloads.filter { workload in
        guard let own = median(report, kind, "guest-guest", workload) else { return false }
        return report.paths.filter { $0.switchKind == kind }.allSatisfy { path in
          (report.cell(workload: workload, path: path.key)?.median?.throughput ?? 0) <= own.throughput
        }
      }
      guard median(report, kind, "guest-guest", workloads[0]) != nil else { return nil }
      return ("fastest in \(best.count) of \(workloads.count) workloads", best.count * 2 > workloads.count)
    }
    row("attached OSA is best at 50 or more connections", many) { kind, workloads in
      let best = workloads.filter { workload in
        guard let own = median(report, kind, "osa-attached", workload) else { return false }
        return ["osa-routed", "osa-routed-1500", "hs-56k", "hs-1500"].allSatisfy { name in
          (median(report, kind, name, workload)?.throughput ?? 0) <= own.throughput
        }
      }
      guard median(report, kind, "osa-attached", workloads[0]) != nil else { return nil }
      return ("ahead of every routed path in \(best.count) of \(workloads.count)", best.count == workloads.count)
    }
    guard !rows.isEmpty else { return nil }
    let header = kinds.map { $0 == "ovs" ? "lab, Open vSwitch" : "lab, Linux bridge" }
    return ([
      "| the talk says | workloads | " + header.joined(separator: " | ") + " | agrees |",
      "|---|---|" + kinds.map { _ in "---|" }.joined() + "---|",
    ] + rows).joined(separator: "\n")
  }

  static func connections(_ workload: String) -> Int {
    Int(workload.components(separatedBy: "--").last ?? "") ?? 0
  }

  static func median(_ report: BenchReport, _ kind: String, _ path: String, _ workload: String) -> BenchReport.Run? {
    report.cell(workload: workload, path: "\(kind)/\(path)")?.median
  }

  /// The smallest and largest ratio of `path` to `base` over `workloads`, nil when none was measured.
  static func range(
    _ report: BenchReport, _ kind: String, _ path: String, _ base: String, _ workloads: [String],
    _ figure: KeyPath<BenchReport.Run, Double>
  ) -> ClosedRange<Double>? {
    let ratios = workloads.compactMap { workload -> Double? in
      guard let value = median(report, kind, path, workload)?[keyPath: figure],
        let reference = median(report, kind, base, workload)?[keyPath: figure], reference > 0
      else { return nil }
      return value / reference
    }
    guard let low = ratios.min(), let high = ratios.max() else { return nil }
    return low...high
  }

  static func text(_ range: ClosedRange<Double>) -> String {
    let low = String(format: "%.2f×", range.lowerBound)
    let high = String(format: "%.2f×", range.upperBound)
    return low == high ? low : "\(low)–\(high)"
  }
}
