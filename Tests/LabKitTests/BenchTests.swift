import Foundation
import Testing

@testable import LabKit

/// The minimal topology with a second guest and a bench section.
let benchTopology = """
  lab: t
  segments:
    - { name: lan, subnet: 10.0.0.0/8 }
  hosts:
    - name: kvm1
      switch: { kind: ovs, mtu: 9000 }
      interfaces:
        - { name: osa10, segment: lan, address: 10.131.1.254/8 }
      guests:
        - { name: g1, address: 10.136.1.5/8, gateway: 10.136.1.254 }
        - { name: g2, address: 10.136.1.6/8, gateway: 10.136.1.254 }
    - name: kvm2
      switch: { kind: linux-bridge }
      interfaces:
        - { name: osa10, segment: lan }
      guests:
        - { name: g3, address: 10.136.2.5/8 }
  machines:
    - name: prod
      interfaces: [{ name: eth0, segment: lan, address: 10.0.0.10/8 }]
  bench:
    baseline: attached
    paths:
      - { name: attached, from: g3, to: prod }
      - { name: routed, label: OSA routed, from: g1, to: prod }
      - { name: local, from: g1, to: g2 }
  """

@Suite struct BenchTests {
  @Test func workloadNamesFollowTheTalk() throws {
    let rr = try #require(BenchWorkload("rr1c-200x1000--10"))
    #expect(rr.kind == .requestResponse && rr.request == 200 && rr.response == 1000 && rr.connections == 10)
    let large = try #require(BenchWorkload("rr1c-30kx30k--10"))
    #expect(large.request == 30720 && large.response == 30720)
    let read = try #require(BenchWorkload("str-readx30k--50"))
    #expect(read.kind == .streamRead && read.response == 30720 && read.connections == 50 && read.isStreaming)
    let write = try #require(BenchWorkload("str-writex1k--1"))
    #expect(write.kind == .streamWrite && write.request == 1024)
    for bad in ["rr1c-200x1000", "rr1c-200--1", "rr2c-200x1000--1", "str-readx--1", "rr1c-0x10--1", "rr1c-1x1--0",
      "str-readx30m--1"]
    {
      #expect(BenchWorkload(bad) == nil, "\(bad) must not parse")
    }
    #expect(BenchWorkload.talk.map(\.name).count == 8)
  }

  @Test func benchSectionNamesPathsBySwitchKind() throws {
    let spec = try #require(try TopologyParser.parse(benchTopology).bench)
    #expect(spec.paths.map(\.key) == ["linux-bridge/attached", "ovs/routed", "ovs/local"])
    #expect(spec.paths[1].label == "OSA routed" && spec.paths[2].label == "local")
    #expect(spec.baselinePath(for: .ovs)?.key == "linux-bridge/attached", "no OVS baseline: the first kind's")
    #expect(spec.quickPaths.map(\.key) == ["linux-bridge/attached"], "the first kind has no second path")
  }

  @Test func benchSectionErrorsNameTheField() {
    let cases: [ParseErrorCase] = [
      (
        "{ name: routed, label: OSA routed, from: g1, to: prod }", "{ name: routed, from: prod, to: g1 }",
        "topology.yaml:25:29: bench.paths[1].from: 'prod' is not a guest of this topology (the client runs in a guest)"
      ),
      (
        "{ name: local, from: g1, to: g2 }", "{ name: local, from: g1, to: g9 }",
        "topology.yaml:26:36: bench.paths[2].to: 'g9' is not a guest or machine of this topology"
      ),
      (
        "baseline: attached", "baseline: nowhere",
        "topology.yaml:22:13: bench.baseline: baseline 'nowhere' is not one of the paths (attached, routed, local)"
      ),
      (
        "{ name: local, from: g1, to: g2 }", "{ name: routed, from: g1, to: g2 }",
        "topology.yaml:26:7: bench.paths[2]: path 'routed' appears twice for switch kind ovs"
      ),
    ]
    for (index, testCase) in cases.enumerated() { expectParseError(in: benchTopology, testCase, index: index) }
  }

  @Test func countersAndToolOutputParse() throws {
    let cpu = try #require(CPUTime.parse("cpu  100 5 50 1000 20 3 2 7 0 0", ticksPerSecond: 100))
    #expect(cpu.busy == 1.6 && cpu.total == 11.87, "steal is not busy")
    #expect(CPUTime.parse("cpu0 1 2 3 4 5 6 7 8") == nil)
    let snmp = """
      Ip: Forwarding DefaultTTL
      Ip: 1 64
      Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
      Tcp: 1 200 120000 -1 2 1 0 0 0 16411 58331 12279 0 0 0
      """
    #expect(TCPCounters.parse(snmp) == TCPCounters(outSegments: 58331, retransmitted: 12279))
    #expect(TCPCounters.parse("Ip: Forwarding\nIp: 1\n") == nil)
    let sockperf = """
      sockperf: [Valid Duration] RunTime=1.547 sec; SentMessages=61094; ReceivedMessages=61094
      sockperf: ---> percentile 99.000 =   17.465
      sockperf: ---> percentile 50.000 =    6.920
      """
    let side = try #require(SockperfCheck.parse(sockperf))
    #expect(Int(side.transactionsPerSecond) == 39491, "61,094 messages in 1.547 s")
    #expect(abs(side.p50 - 13.84) < 1e-9 && abs(side.p99 - 34.93) < 1e-9, "sockperf's half round trips, doubled")
    #expect(SockperfCheck.parse("sockperf: Test ended") == nil)
  }

  @Test func tableAndChartShowRatiosToTheBaseline() throws {
    func run(_ throughput: Double, _ cost: Double) -> BenchReport.Run {
      BenchReport.Run(
        throughput: throughput, cpuSeconds: 1, cpuSecondsOverIdle: 1, foreignCpuSeconds: 0.5, cost: cost, p50: 50, p90: 70, p99: 90,
        retransmissions: 3, segments: 1000)
    }
    let paths = [
      BenchReport.PathInfo(
        key: "ovs/attached", name: "attached", label: "OSA attached", switchKind: "ovs", from: "g3", to: "prod",
        baseline: true),
      BenchReport.PathInfo(
        key: "ovs/routed", name: "routed", label: "OSA routed", switchKind: "ovs", from: "g1", to: "prod",
        baseline: false),
    ]
    let cells = [
      BenchReport.Cell(
        workload: "rr1c-200x1000--1", path: "ovs/attached", runs: [run(20000, 40)], median: run(20000, 40),
        throughputSpread: 0.1, costSpread: 0),
      BenchReport.Cell(
        workload: "rr1c-200x1000--1", path: "ovs/routed", runs: [run(10000, 60)], median: run(10000, 60),
        throughputSpread: 0, costSpread: 0),
    ]
    let report = BenchReport(
      date: "2026-12-03T00:00:00Z", machine: "2 cores", lab: "t", runs: 1, warmup: 0.5, duration: 2, idleBefore: 0.1,
      idleAfter: nil, wallSeconds: 10, busiestProcesses: [], workloads: ["rr1c-200x1000--1"], paths: paths,
      cells: cells, generatorCheck: nil)
    let table = BenchTable.render(report)
    #expect(table.contains("| workload | OSA attached | OSA routed |"))
    #expect(table.contains("| rr1c-200x1000--1 | **1.00×**<br>20,000 tx/s ±5% | **0.50×**<br>10,000 tx/s ±0% |"))
    #expect(table.contains("| rr1c-200x1000--1 | **1.00×**<br>40.0 µs/tx ±0% | **1.50×**<br>60.0 µs/tx ±0% |"))
    #expect(table.contains("50.0 / 90.0 µs<br>3 of 1000 retr."))
    #expect(!table.contains("The talk's claims"), "no claim rows for paths of other names")
    var named = report
    named.paths = paths.map { path in
      var renamed = path
      renamed.name = "osa-" + path.name
      renamed.key = "ovs/osa-" + path.name
      return renamed
    }
    named.cells = cells.map { cell in
      var renamed = cell
      renamed.path = cell.path.replacingOccurrences(of: "ovs/", with: "ovs/osa-")
      return renamed
    }
    let claims = try #require(BenchClaims.render(named))
    #expect(
      claims.contains(
        "| routed OSA vs attached OSA, up to 25 connections, 1,500 bytes or less: throughput −5…10 %, cost under +10 % | rr1c-200x1000--1 | throughput 0.50×, cost 1.50× | no |"
      ))
    #expect(claims.contains("| attached OSA is best at 50 or more connections |") == false, "no --50 workload measured")
    let chart = BenchChart.render(report)
    #expect(chart.hasPrefix("<svg ") && chart.hasSuffix("</svg>\n"))
    #expect(chart.contains("<title>rr1c-200x1000--1 routed: 0.50×</title>"))
    #expect(chart.contains("<title>rr1c-200x1000--1 routed: 1.50×</title>"))
  }

  /// The generator's closed loops on loopback in a throwaway namespace: every counted transaction has a latency,
  /// and the bytes on the wire are the requests and responses (not a timed assertion).
  @Test(.enabled(if: getuid() == 0, "needs root for a namespace")) func generatorRunsClosedLoops() throws {
    let namespace = "rhk-rr-\(getpid())"
    try Command.check(["ip", "netns", "add", namespace])
    defer { _ = try? Command.run(["ip", "netns", "del", namespace]) }
    try Command.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
    let outcome = try RRGenerator(
      clientNamespace: namespace, serverNamespace: namespace, address: .init("127.0.0.1")!, port: 24567,
      request: 200, response: 30000, connections: 3
    ).run(warmup: 0.1, duration: 0.5)
    #expect(outcome.transactions > 10)
    #expect(outcome.latencies.count == outcome.transactions)
    #expect(outcome.latencies == outcome.latencies.sorted() && outcome.latencies.allSatisfy { $0 > 0 })
    #expect(outcome.cpu.busy > 0 && outcome.cpu.foreign == 0, "no foreign processes were asked for")
  }
}
