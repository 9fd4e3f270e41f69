import Foundation
import RoutedCore

/// Pings a migrating guest at 100 packets a second from several nodes for the whole migration, and says
/// what each lost: the issue's handover target is no loss beyond QEMU's own switchover and reachability
/// back within a second.
struct MigrationProbe {
  let names: LabNames

  static let interval = 0.01
  static let lead = 1.0
  static let tail = 3.0

  /// One source's view: packets sent and lost, and the longest run of consecutive losses.
  struct Loss: CustomStringConvertible {
    var node: String
    var sent: Int
    var lost: Int
    var longestOutage: Double
    /// False when the last packets were lost too: the guest never came back for this node.
    var recovered: Bool

    var description: String {
      let outage = Int((longestOutage * 1000).rounded())
      return "\(node) lost \(lost)/\(sent), longest outage \(outage) ms\(recovered ? "" : ", not recovered")"
    }
  }

  /// Runs `migration` while `sources` ping `address` (and `address6` too, for a dual-stack guest: a loss
  /// per source and family), starting `lead` seconds before it and ending `tail` seconds after it; returns
  /// each source's loss and how long the migration itself took.
  /// `arpWatcher`, when given, asks ARP for the guest all along (`ARPWatch`).
  func measure(
    sources: [String], address: IPv4Address, address6: IPv6Address? = nil,
    arpWatcher: (node: String, address: IPv4Address)? = nil, migration: () throws -> [String]
  ) throws
    -> (losses: [Loss], seconds: Double, warnings: [String], arp: ARPWatch.Answers?)
  {
    precondition(!sources.isEmpty)
    let group = DispatchGroup()
    let results = Results()
    let arp = ArpResult()
    if let arpWatcher {
      group.enter()
      // Threads of their own: GCD's pool grows slowly on a busy machine, and a watch that starts after the
      // migration sees only its end.
      Thread {
        arp.value = try? ARPWatch(names: self.names).watch(
          from: arpWatcher.node, source: arpWatcher.address, address: address,
          seconds: Self.lead + Self.tail + 2)
        group.leave()
      }.start()
    }
    let runs = sources.map { (node: $0, label: $0, address: address.description) }
      + (address6.map { address6 in sources.map { (node: $0, label: "\($0) (IPv6)", address: address6.description) } } ?? [])
    for run in runs {
      group.enter()
      Thread {
        let result = Result { try self.ping(from: run.node, address: run.address, label: run.label) }
        results.set(run.label, result)
        group.leave()
      }.start()
    }
    Thread.sleep(forTimeInterval: Self.lead)
    let start = Date()
    let warnings = try migration()
    let seconds = Date().timeIntervalSince(start)
    group.wait()
    return (try runs.map { try results.get($0.label).get() }, seconds, warnings, arp.value)
  }

  /// One ping run long enough to cover the migration; replies are counted by sequence number.
  private func ping(from node: String, address: String, label: String) throws -> Loss {
    let count = Int((Self.lead + Self.tail + 2) / Self.interval)
    let argv = [
      "ip", "netns", "exec", names.namespace(node), "ping", "-n", "-c", "\(count)", "-i", "\(Self.interval)",
      "-W", "1", address,
    ]
    let result = try Command.run(argv, timeout: Double(count) * Self.interval + 15)
    var received = Set<Int>()
    for line in result.stdout.split(separator: "\n") {
      guard let range = line.range(of: "icmp_seq=") else { continue }
      let digits = line[range.upperBound...].prefix { $0.isNumber }
      if let seq = Int(digits) { received.insert(seq) }
    }
    let sent = Probes.number(before: " packets transmitted", in: result.stdout) ?? count
    var longest = 0
    var run = 0
    for seq in 1...max(sent, 1) {
      if received.contains(seq) {
        run = 0
      } else {
        run += 1
        longest = max(longest, run)
      }
    }
    return Loss(
      node: label, sent: sent, lost: sent - received.count, longestOutage: Double(longest) * Self.interval,
      recovered: received.contains(sent) || received.contains(sent - 1))
  }

  /// The ARP watch's result, from its thread.
  private final class ArpResult: @unchecked Sendable {
    var value: ARPWatch.Answers?
  }

  /// Results from the ping threads, by node.
  private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Result<Loss, Error>] = [:]

    func set(_ node: String, _ value: Result<Loss, Error>) {
      lock.lock()
      values[node] = value
      lock.unlock()
    }

    func get(_ node: String) -> Result<Loss, Error> {
      lock.lock()
      defer { lock.unlock() }
      return values[node] ?? .failure(LabError("no ping result from \(node)"))
    }
  }
}
