/// TCP segment counters of one namespace, read from its own `/proc/net/snmp` by a thread inside it (no
/// process to start; nstat's history file is per user, not per namespace, and would mix namespaces up).
struct TCPCounters: Sendable, Equatable {
  var outSegments: Int
  var retransmitted: Int

  static func read(namespace: String) throws -> TCPCounters {
    let text = try NamespaceSwitch.inside(namespace) { FileSystem.read("/proc/thread-self/net/snmp") }
    guard let text, let counters = parse(text) else { throw LabError("no Tcp line in \(namespace)'s /proc/net/snmp") }
    return counters
  }

  /// From the two `Tcp:` lines of /proc/net/snmp (names, then values).
  static func parse(_ snmp: String) -> TCPCounters? {
    let lines = snmp.split(separator: "\n").filter { $0.hasPrefix("Tcp:") }
    guard lines.count == 2 else { return nil }
    let names = lines[0].split(separator: " ")
    let values = lines[1].split(separator: " ")
    guard names.count == values.count,
      let out = names.firstIndex(of: "OutSegs").flatMap({ Int(values[$0]) }),
      let retransmitted = names.firstIndex(of: "RetransSegs").flatMap({ Int(values[$0]) })
    else { return nil }
    return TCPCounters(outSegments: out, retransmitted: retransmitted)
  }

  static func - (after: TCPCounters, before: TCPCounters) -> TCPCounters {
    TCPCounters(
      outSegments: after.outSegments - before.outSegments, retransmitted: after.retransmitted - before.retransmitted)
  }
}
