import Foundation

/// Everything one `routed-lab bench` measured: every run of every cell, the medians the table shows, and
/// what the machine was doing. Written as JSON beside the table and chart.
public struct BenchReport: Encodable, Sendable {
  /// One measured run of one workload on one path.
  public struct Run: Encodable, Sendable {
    /// Transactions per second (rr) or Gbit/s (str).
    public var throughput: Double
    /// The lab's CPU-seconds in the window (machine-wide busy time less that of processes outside the lab),
    /// the same less the idle lab's rate, and the CPU-seconds of the processes outside the lab.
    public var cpuSeconds: Double
    public var cpuSecondsOverIdle: Double
    public var foreignCpuSeconds: Double
    /// µs of CPU per transaction (rr) or CPU-seconds per GB (str), from `cpuSecondsOverIdle`.
    public var cost: Double
    /// Round-trip latency percentiles in µs (rr only).
    public var p50: Double?
    public var p90: Double?
    public var p99: Double?
    /// TCP segments both ends retransmitted during the run (warm-up included), and segments they sent.
    public var retransmissions: Int
    public var segments: Int
  }

  /// One table cell: a workload on a path, its runs and their medians.
  public struct Cell: Encodable, Sendable {
    public var workload: String
    public var path: String
    public var runs: [Run]
    /// nil when a run failed; `error` says why.
    public var median: Run?
    /// (max − min) / median of throughput and of cost over the runs.
    public var throughputSpread: Double?
    public var costSpread: Double?
    public var error: String?
  }

  public struct PathInfo: Encodable, Sendable {
    public var key: String
    public var name: String
    public var label: String
    public var switchKind: String
    public var from: String
    public var to: String
    public var baseline: Bool
  }

  /// The request/response generator next to sockperf on one path.
  public struct GeneratorCheck: Encodable, Sendable {
    public var path: String
    public var seconds: Double
    public var ours: Side
    public var sockperf: Side

    public struct Side: Encodable, Sendable {
      public var transactionsPerSecond: Double
      /// Round trip, µs (sockperf reports half of it; doubled here).
      public var p50: Double
      public var p99: Double
    }
  }

  public var date: String
  public var machine: String
  public var lab: String
  public var runs: Int
  public var warmup: Double
  public var duration: Double
  /// The idle lab's CPU-seconds per second, measured before the runs and after them.
  public var idleBefore: Double
  public var idleAfter: Double?
  public var wallSeconds: Double?
  /// The processes that used most CPU while the bench ran (this one included), for judging noise.
  public var busiestProcesses: [String]
  public var workloads: [String]
  public var paths: [PathInfo]
  public var cells: [Cell]
  public var generatorCheck: GeneratorCheck?

  public func cell(workload: String, path: String) -> Cell? {
    cells.first { $0.workload == workload && $0.path == path }
  }

  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// The cell's medians, field by field, and the spreads.
  static func summarise(_ runs: [Run]) -> (Run, Double, Double)? {
    guard !runs.isEmpty else { return nil }
    func median(_ values: [Double]) -> Double {
      let sorted = values.sorted()
      return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    func optionalMedian(_ values: [Double?]) -> Double? {
      let present = values.compactMap { $0 }
      return present.isEmpty ? nil : median(present)
    }
    func spread(_ values: [Double]) -> Double {
      let middle = median(values)
      return middle == 0 ? 0 : ((values.max() ?? 0) - (values.min() ?? 0)) / abs(middle)
    }
    let summary = Run(
      throughput: median(runs.map(\.throughput)), cpuSeconds: median(runs.map(\.cpuSeconds)),
      cpuSecondsOverIdle: median(runs.map(\.cpuSecondsOverIdle)), foreignCpuSeconds: median(runs.map(\.foreignCpuSeconds)),
      cost: median(runs.map(\.cost)),
      p50: optionalMedian(runs.map(\.p50)), p90: optionalMedian(runs.map(\.p90)), p99: optionalMedian(runs.map(\.p99)),
      retransmissions: Int(median(runs.map { Double($0.retransmissions) })),
      segments: Int(median(runs.map { Double($0.segments) })))
    return (summary, spread(runs.map(\.throughput)), spread(runs.map(\.cost)))
  }

  /// A percentile of sorted values (nearest rank).
  static func percentile(_ sorted: [Double], _ fraction: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
  }
}
