import Foundation
import RoutedCore

/// `routed-lab bench` on a running lab: every workload on every path, `runs` times, with CPU cost from
/// machine-wide /proc/stat deltas less the idle lab's rate, retransmissions from both ends' TCP counters,
/// and RR latency percentiles. Runs are interleaved (run 1 of every cell, then run 2, …) so that a busy
/// moment of the shared machine lands on all paths alike instead of on one.
public struct BenchRunner {
  public var topology: Topology
  public var names: LabNames
  public var paths: [BenchSpec.Path]
  public var workloads: [BenchWorkload]
  public var runs: Int
  public var warmup: Double
  public var duration: Double
  /// Seconds of idle lab measured before (and after) the runs.
  public var idleSeconds: Double
  /// Holds the generator to sockperf on the first path first.
  public var checkGenerator: Bool
  public var progress: @Sendable (String) -> Void
  /// Other work on the machine, whose CPU time is taken out of every figure.
  let foreign: ForeignProcesses

  public init(
    topology: Topology, names: LabNames, paths: [BenchSpec.Path], workloads: [BenchWorkload], runs: Int,
    warmup: Double, duration: Double, idleSeconds: Double, checkGenerator: Bool,
    progress: @escaping @Sendable (String) -> Void
  ) {
    self.topology = topology
    self.names = names
    self.paths = paths
    self.workloads = workloads
    self.runs = runs
    self.warmup = warmup
    self.duration = duration
    self.idleSeconds = idleSeconds
    self.checkGenerator = checkGenerator
    self.progress = progress
    foreign = ForeignProcesses(labNamespaces: topology.builtNodeNames.map(names.namespace))
  }

  /// Ports for servers: a fresh one per measurement, so no socket of the last one is in the way.
  private final class Ports: @unchecked Sendable {
    private var next = 24000
    func take() -> Int {
      next = next >= 24900 ? 24000 : next + 2
      return next
    }
  }

  public func run() throws -> BenchReport {
    let started = Date()
    let load = ProcessLoad.now()
    let spec = topology.bench
    try checkPaths()
    progress("idle baseline: \(idleSeconds) s of the lab doing nothing")
    let idleBefore = try idleRate()
    progress(String(format: "idle: the lab uses %.3f CPU-s per s", idleBefore))
    let ports = Ports()
    var check: BenchReport.GeneratorCheck?
    if checkGenerator, let path = paths.first {
      progress("generator check on \(path.key): rr1c-200x200--1 against sockperf ping-pong, \(duration) s each")
      let (client, server, address) = try ends(path)
      let result = try SockperfCheck(
        clientNamespace: client, serverNamespace: server, address: address, port: ports.take()
      ).run(seconds: duration, foreign: foreign)
      check = .init(path: path.key, seconds: duration, ours: result.ours, sockperf: result.sockperf)
      progress(
        String(
          format: "  ours %.0f tx/s p50 %.1f µs, sockperf %.0f tx/s p50 %.1f µs", result.ours.transactionsPerSecond,
          result.ours.p50, result.sockperf.transactionsPerSecond, result.sockperf.p50))
    }
    var measured: [String: [BenchReport.Run]] = [:]
    var errors: [String: String] = [:]
    let total = runs * workloads.count * paths.count
    var done = 0
    for run in 1...runs {
      for workload in workloads {
        for path in paths {
          try Interruption.check()
          done += 1
          let key = "\(workload.name) \(path.key)"
          guard errors[key] == nil else { continue }
          do {
            let result = try measure(workload, on: path, port: ports.take(), idle: idleBefore)
            measured[key, default: []].append(result)
            progress("[\(done)/\(total)] run \(run) \(workload.name) \(path.key): \(Self.describe(result, workload))")
          } catch {
            errors[key] = "\(error)"
            progress("[\(done)/\(total)] run \(run) \(workload.name) \(path.key): FAILED \(error)")
          }
        }
      }
    }
    let idleAfter = try idleRate()
    let cells = workloads.flatMap { workload in
      paths.map { path -> BenchReport.Cell in
        let key = "\(workload.name) \(path.key)"
        let list = measured[key] ?? []
        let summary = errors[key] == nil ? BenchReport.summarise(list) : nil
        return BenchReport.Cell(
          workload: workload.name, path: path.key, runs: list, median: summary?.0, throughputSpread: summary?.1,
          costSpread: summary?.2, error: errors[key])
      }
    }
    return BenchReport(
      date: ISO8601DateFormatter().string(from: started), machine: Self.machine(), lab: topology.lab, runs: runs,
      warmup: warmup, duration: duration, idleBefore: idleBefore, idleAfter: idleAfter,
      wallSeconds: Date().timeIntervalSince(started), busiestProcesses: load.busiest(until: ProcessLoad.now()),
      workloads: workloads.map(\.name),
      paths: paths.map { path in
        BenchReport.PathInfo(
          key: path.key, name: path.name, label: path.label, switchKind: path.switchKind.rawValue, from: path.from,
          to: path.to, baseline: path.name == spec?.baseline)
      }, cells: cells, generatorCheck: check)
  }

  /// Every path's server answers a TCP connect from its client before anything is measured.
  private func checkPaths() throws {
    for path in paths {
      let (client, server, address) = try ends(path)
      let outcome = try TCPProbe.connect(client: client, server: server, address: .v4(address), port: 23999)
      guard case .connected = outcome else {
        throw LabError("path \(path.key): \(path.from) cannot reach \(path.to) at \(address) (\(outcome.summary))")
      }
    }
  }

  private func ends(_ path: BenchSpec.Path) throws -> (String, String, IPv4Address) {
    guard let address = topology.primaryAddress(of: path.to) else {
      throw LabError("path \(path.key): \(path.to) has no address")
    }
    return (names.namespace(path.from), names.namespace(path.to), address)
  }

  /// The lab's CPU-seconds per second while it is up and idle (its switches' housekeeping, this process).
  private func idleRate() throws -> Double {
    let start = RRGenerator.Clock.now()
    let before = try CPUTime.now(foreign: foreign)
    usleep(UInt32(idleSeconds * 1e6))
    let delta = try CPUTime.now(foreign: foreign) - before
    return max(delta.lab, 0) / (RRGenerator.Clock.now() - start)
  }

  private func measure(_ workload: BenchWorkload, on path: BenchSpec.Path, port: Int, idle: Double) throws
    -> BenchReport.Run
  {
    let (client, server, address) = try ends(path)
    let before = (try TCPCounters.read(namespace: client), try TCPCounters.read(namespace: server))
    var run: BenchReport.Run
    if workload.isStreaming {
      let outcome = try IPerfStream(
        clientNamespace: client, serverNamespace: server, address: address, port: port, workload: workload
      ).run(warmup: warmup, duration: duration, foreign: foreign)
      let overIdle = max(outcome.cpu.lab - idle * duration, 0)
      run = BenchReport.Run(
        throughput: outcome.bytes * 8 / outcome.seconds / 1e9, cpuSeconds: outcome.cpu.lab,
        cpuSecondsOverIdle: overIdle, foreignCpuSeconds: outcome.cpu.foreign, cost: outcome.bytes > 0 ? overIdle / (outcome.bytes / 1e9) : 0,
        retransmissions: 0, segments: 0)
    } else {
      let outcome = try RRGenerator(
        clientNamespace: client, serverNamespace: server, address: address, port: port, request: workload.request,
        response: workload.response, connections: workload.connections
      ).run(warmup: warmup, duration: duration, foreign: foreign)
      let overIdle = max(outcome.cpu.lab - idle * duration, 0)
      run = BenchReport.Run(
        throughput: Double(outcome.transactions) / outcome.seconds, cpuSeconds: outcome.cpu.lab,
        cpuSecondsOverIdle: overIdle, foreignCpuSeconds: outcome.cpu.foreign, cost: outcome.transactions > 0 ? overIdle * 1e6 / Double(outcome.transactions) : 0,
        p50: BenchReport.percentile(outcome.latencies, 0.5), p90: BenchReport.percentile(outcome.latencies, 0.9),
        p99: BenchReport.percentile(outcome.latencies, 0.99), retransmissions: 0, segments: 0)
    }
    let after = (try TCPCounters.read(namespace: client), try TCPCounters.read(namespace: server))
    let counted = (after.0 - before.0, after.1 - before.1)
    run.retransmissions = counted.0.retransmitted + counted.1.retransmitted
    run.segments = counted.0.outSegments + counted.1.outSegments
    return run
  }

  static func describe(_ run: BenchReport.Run, _ workload: BenchWorkload) -> String {
    if workload.isStreaming {
      return String(format: "%.2f Gbit/s, %.2f CPU-s/GB, %d retransmitted", run.throughput, run.cost, run.retransmissions)
    }
    return String(
      format: "%.0f tx/s, %.1f µs CPU/tx, p50 %.0f µs, p99 %.0f µs, %d retransmitted", run.throughput, run.cost,
      run.p50 ?? 0, run.p99 ?? 0, run.retransmissions)
  }

  /// Cores, CPU model, kernel.
  static func machine() -> String {
    let model =
      FileSystem.read("/proc/cpuinfo")?.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
    let kernel = FileSystem.read("/proc/sys/kernel/osrelease")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(model), kernel \(kernel)"
  }
}
