import Foundation
import RoutedCore

/// The watch daemon's drills on one host: damage done by hand (a shell command, or an uplink deleted and made
/// again as NetworkManager would), then the time until the routed state is whole again, read with independent
/// tools (`RoutedState`); and a storm of `nft flush ruleset` with the daemon's CPU time over it.
struct DamageDrill {
  let names: LabNames
  let topology: Topology
  let host: Host
  let watch: WatchProcess

  var namespace: String { names.namespace(host.name) }

  func state() throws -> RoutedState {
    try RoutedState.read(namespace: namespace, config: names.hookConfig(host.name))
  }

  /// Does `damage`, then polls until the state equals the one before; throws unless that took at most `within`
  /// seconds (from the damage's end). Says what the daemon measured itself (first event to repaired).
  func run(_ damage: Damage, within: Double) throws -> [String] {
    guard watch.process != nil else { throw LabError("no routed-hook watch runs on \(host.name)") }
    let whole = try state()
    let started = Date()
    try perform(damage)
    let done = Date()
    var current = try state()
    var broke = current != whole
    while current != whole && Date().timeIntervalSince(done) < max(5, within * 2) {
      usleep(5000)
      current = try state()
      broke = true
    }
    let took = Date().timeIntervalSince(done)
    let own = daemonLatency(since: started)
    // A daemon faster than the lab's first read after the damage (its status file records a repair that
    // began after the damage did) repaired what the lab could not see in time: the damage was real.
    if !broke && own != nil { broke = true }
    let text =
      "\(damage): \(broke ? "repaired in \(Self.milliseconds(took))" : "nothing to repair")"
      + (own.map { " (the daemon's own: \(Self.milliseconds($0)), first event to done)" } ?? "")
      + "; damage took \(Self.milliseconds(done.timeIntervalSince(started)))"
    guard current == whole else { throw LabError("\(text): not whole after \(Self.milliseconds(took)): \(whole.difference(to: current))") }
    guard broke else { throw LabError("\(text): the damage changed nothing the lab could see") }
    guard took <= within else { throw LabError("\(text): more than \(Self.milliseconds(within))") }
    return [text]
  }

  /// `count` × `nft flush ruleset` in a row; throws unless the state is whole within 2 s after the last and the
  /// daemon used at most `cpuShare` of one core over the storm.
  func storm(count: Int, cpuShare: Double) throws -> [String] {
    let whole = try state()
    guard let before = watch.cpuSeconds else { throw LabError("no routed-hook watch runs on \(host.name)") }
    let started = Date()
    let flushes = String(repeating: "nft flush ruleset\n", count: count)
    try Command.check(["ip", "netns", "exec", namespace, "sh", "-e"], stdin: flushes, timeout: 300)
    let stormSeconds = Date().timeIntervalSince(started)
    var current = try state()
    let done = Date()
    while current != whole && Date().timeIntervalSince(done) < 5 {
      usleep(5000)
      current = try state()
    }
    let took = Date().timeIntervalSince(done)
    guard let after = watch.cpuSeconds else { throw LabError("routed-hook watch on \(host.name) died in the storm") }
    let cpu = after - before
    let share = cpu / Date().timeIntervalSince(started)
    let text =
      "\(count) × nft flush ruleset in \(String(format: "%.1f", stormSeconds)) s: the daemon used "
      + "\(String(format: "%.2f", cpu)) s CPU (\(Int((share * 100).rounded()))% of a core), whole "
      + "\(Self.milliseconds(took)) after the last"
    guard current == whole else { throw LabError("\(text); not whole: \(whole.difference(to: current))") }
    guard share <= cpuShare else { throw LabError("\(text); more than \(Int(cpuShare * 100))%") }
    return [text]
  }

  /// The daemon's own latency of its last repair, if it finished after `since`.
  private func daemonLatency(since: Date) -> Double? {
    guard let text = FileSystem.read(watch.statusFile), let last = JSON(tool: text)?["lastRepair"],
      let time = last["time"]?.number, time >= since.timeIntervalSince1970,
      let latency = last["latencySeconds"]?.number
    else { return nil }
    return latency
  }

  private func perform(_ damage: Damage) throws {
    switch damage {
    case .command(let command):
      try Command.check(["ip", "netns", "exec", namespace, "sh", "-c", command])
    case .recreate(let interface):
      let plan = BuildPlan(topology: topology, names: names)
      guard let lines = plan.recreateLines(node: host.name, interface: interface) else {
        throw LabError("\(host.name) has no interface \(interface) on a segment")
      }
      // A card keeps its hardware address when it is re-created; a new one would leave the LAN's ARP caches
      // pointing at a MAC that is gone for up to a minute, which no repair on this host can change.
      guard let mac = LinkInventory.links(namespace: namespace).first(where: { $0.name == interface })?.mac else {
        throw LabError("\(host.name) has no link \(interface) to re-create")
      }
      try Command.check(["ip", "-n", namespace, "link", "del", interface])
      let pair = lines.pair.replacingOccurrences(
        of: "link add \(interface) netns \(namespace) ", with: "link add \(interface) netns \(namespace) address \(mac) ")
      try Command.check(["ip", "-b", "-"], stdin: pair + "\n")
      try Command.check(["ip", "-n", names.namespace(lines.segment), "-b", "-"], stdin: lines.segmentSide.joined(separator: "\n") + "\n")
      try Command.check(["ip", "-n", namespace, "-b", "-"], stdin: lines.nodeSide.joined(separator: "\n") + "\n")
      try Command.check(["ip", "netns", "exec", namespace, "ethtool", "-K", interface, "tx", "off"])
    }
  }

  static func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
}

/// What a `damage:` action does to a host.
public enum Damage: Sendable, Equatable, CustomStringConvertible {
  /// A shell command in the host's namespace (`nft flush ruleset`).
  case command(String)
  /// The uplink deleted and made again, wired as `up` made it, with its MAC, address and the host's routes; its
  /// sysctls are the kernel's defaults again, as after NetworkManager re-creates a link.
  case recreate(interface: String)

  public var description: String {
    switch self {
    case .command(let command): command
    case .recreate(let interface): "\(interface) deleted and re-created"
    }
  }
}
