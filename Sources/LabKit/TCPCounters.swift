/// TCP segment counters of one namespace (its own `/proc/net/snmp`), read with an independent tool.
struct TCPCounters: Sendable, Equatable {
  var outSegments: Int
  var retransmitted: Int

  /// `nstat -asz`: absolute values, zeros included, without touching nstat's history file (which is per user,
  /// not per namespace).
  static func read(namespace: String) throws -> TCPCounters {
    let output = try Command.check(["ip", "netns", "exec", namespace, "nstat", "-asz", "TcpOutSegs", "TcpRetransSegs"])
    return parse(output)
  }

  static func parse(_ output: String) -> TCPCounters {
    var counters = TCPCounters(outSegments: 0, retransmitted: 0)
    for line in output.split(separator: "\n") {
      let words = line.split(separator: " ", omittingEmptySubsequences: true)
      guard words.count >= 2, let value = Int(words[1]) else { continue }
      if words[0] == "TcpOutSegs" { counters.outSegments = value }
      if words[0] == "TcpRetransSegs" { counters.retransmitted = value }
    }
    return counters
  }

  static func - (after: TCPCounters, before: TCPCounters) -> TCPCounters {
    TCPCounters(
      outSegments: after.outSegments - before.outSegments, retransmitted: after.retransmitted - before.retransmitted)
  }
}
