import RoutedCore

/// Holds the request/response generator to sockperf (Debian's 3.7) where the two overlap: one TCP connection
/// in ping-pong, equal request and response. sockperf reports half the round trip; it is doubled here.
struct SockperfCheck {
  var clientNamespace: String
  var serverNamespace: String
  var address: IPv4Address
  var port: Int
  var size = 200

  func run(seconds: Double, foreign: ForeignProcesses) throws -> (ours: BenchReport.GeneratorCheck.Side, sockperf: BenchReport.GeneratorCheck.Side) {
    let server = try BackgroundProcess(
      namespace: serverNamespace, ["sockperf", "server", "--tcp", "-i", "0.0.0.0", "-p", "\(port)"])
    defer { server.stop() }
    try BackgroundProcess.waitForListener(namespace: serverNamespace, port: port)
    let result = try Command.run(
      [
        "ip", "netns", "exec", clientNamespace, "sockperf", "ping-pong", "--tcp", "-i", "\(address)", "-p", "\(port)",
        "-m", "\(size)", "-t", "\(Int(seconds.rounded(.up)))",
      ], timeout: seconds + 20)
    guard let theirs = Self.parse(result.stdout + result.stderr) else {
      throw LabError("sockperf printed no statistics: \(result.failureSummary)")
    }
    let generator = RRGenerator(
      clientNamespace: clientNamespace, serverNamespace: serverNamespace, address: address, port: port + 1,
      request: size, response: size, connections: 1)
    let outcome = try generator.run(warmup: 0.4, duration: seconds, foreign: foreign)
    let ours = BenchReport.GeneratorCheck.Side(
      transactionsPerSecond: Double(outcome.transactions) / outcome.seconds,
      p50: BenchReport.percentile(outcome.latencies, 0.5) ?? 0, p99: BenchReport.percentile(outcome.latencies, 0.99) ?? 0)
    return (ours, theirs)
  }

  /// From `[Valid Duration] RunTime=1.547 sec; SentMessages=61094; ReceivedMessages=61094` and the
  /// `percentile 50.000 = 6.920` lines (µs, one way).
  static func parse(_ text: String) -> BenchReport.GeneratorCheck.Side? {
    var runTime: Double?
    var received: Double?
    var percentiles: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      if line.contains("[Valid Duration]") {
        for part in line.split(separator: ";") {
          let pair = part.split(separator: "=")
          guard pair.count == 2 else { continue }
          let value = Double(pair[1].split(separator: " ").first ?? "")
          if pair[0].hasSuffix("RunTime") { runTime = value }
          if pair[0].hasSuffix("ReceivedMessages") { received = value }
        }
      } else if let range = line.range(of: "percentile ") {
        let rest = line[range.upperBound...].split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
        if rest.count == 2, let value = Double(rest[1]) { percentiles[rest[0]] = value }
      }
    }
    guard let runTime, runTime > 0, let received, let p50 = percentiles["50.000"], let p99 = percentiles["99.000"]
    else { return nil }
    return .init(transactionsPerSecond: received / runTime, p50: p50 * 2, p99: p99 * 2)
  }
}
