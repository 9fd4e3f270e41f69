import Foundation
import RoutedCore

/// Streaming workloads with iperf3 (Debian's 3.12): it is the standard bulk-TCP tool, its `-P` runs N parallel
/// connections and `-O` drops a warm-up from its figures. `str-read` is `-R` (the server writes, the client
/// reads), `str-write` the default direction; `-l` is the write size.
struct IPerfStream {
  var clientNamespace: String
  var serverNamespace: String
  var address: IPv4Address
  var port: Int
  var workload: BenchWorkload

  struct Outcome {
    /// Bytes the receiving side got in the measured window, and that window's length.
    var bytes: Double
    var seconds: Double
    var cpu: CPUTime
  }

  func run(warmup: Double, duration: Double, foreign: ForeignProcesses? = nil) throws -> Outcome {
    let server = try BackgroundProcess(namespace: serverNamespace, ["iperf3", "-s", "-1", "-p", "\(port)"])
    defer { server.stop(after: 2) }
    try BackgroundProcess.waitForListener(namespace: serverNamespace, port: port)
    let size = workload.kind == .streamRead ? workload.response : workload.request
    var argv = [
      "ip", "netns", "exec", clientNamespace, "iperf3", "-c", "\(address)", "-p", "\(port)", "-J",
      "-t", String(format: "%.2f", duration), "-O", String(format: "%.2f", warmup),
      "-P", "\(workload.connections)", "-l", "\(size)",
    ]
    if workload.kind == .streamRead { argv.append("-R") }
    // CPU is sampled over the same window iperf3 reports, from a thread: the client call blocks.
    let sampler = WindowSampler(start: RRGenerator.Clock.now() + warmup, duration: duration, foreign: foreign)
    let result = try Command.run(argv, timeout: warmup + duration + 20)
    let cpu = try sampler.result()
    guard let json = JSON(tool: result.stdout) else {
      throw LabError("iperf3 gave no JSON: \(result.failureSummary)")
    }
    if let error = json["error"]?.string { throw LabError("iperf3: \(error)") }
    guard let received = json["end"]?["sum_received"], let bytes = received["bytes"]?.number,
      let seconds = received["seconds"]?.number, seconds > 0
    else { throw LabError("iperf3's JSON has no end.sum_received: \(result.failureSummary)") }
    return Outcome(bytes: bytes, seconds: seconds, cpu: cpu)
  }

  /// Takes /proc/stat at `start` and at `start + duration` on a thread of its own.
  final class WindowSampler: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var sample: Result<CPUTime, Error> = .failure(LabError("no CPU sample"))

    init(start: Double, duration: Double, foreign: ForeignProcesses?) {
      Thread { [self] in
        sample = Result {
          RRGenerator.Clock.sleep(until: start)
          let before = try CPUTime.now(foreign: foreign)
          RRGenerator.Clock.sleep(until: start + duration)
          return try CPUTime.now(foreign: foreign) - before
        }
        done.signal()
      }.start()
    }

    func result() throws -> CPUTime {
      done.wait()
      return try sample.get()
    }
  }
}
