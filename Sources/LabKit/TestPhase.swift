import RoutedCore

/// A named step of the test matrix: lifecycle actions first, then expectations (own and repeated ones).
public struct TestPhase: Sendable, Equatable {
  public var name: String
  /// Done in order before the phase's expectations are checked.
  public var actions: [LabAction]
  /// Names of earlier phases whose expectations are checked again here (e.g. after a daemon restart).
  public var repeats: [String]
  public var expectations: [Expectation]

  public init(
    name: String, actions: [LabAction] = [], repeats: [String] = [], expectations: [Expectation] = []
  ) {
    self.name = name
    self.actions = actions
    self.repeats = repeats
    self.expectations = expectations
  }
}

/// A libvirt-like lifecycle event the test matrix can cause.
public enum LabAction: Sendable, Equatable, CustomStringConvertible {
  case start(guest: String)
  case stop(guest: String)
  /// A clean shutdown (`virsh shutdown` for a real domain; release reason "shutdown").
  case shutdown(guest: String)
  case restartDaemon(host: String)
  /// Live migration to another host: destination hooks while the source still runs (the overlap window),
  /// then the NIC moves and the source stops. `hold` stops inside the window; a later `migrate` finishes it.
  /// `measure` names nodes that ping the guest at 100 pps through the whole migration; the row shows each
  /// one's loss and longest outage, and fails when an outage exceeds a second.
  case migrate(guest: String, to: String, hold: Bool, measure: [String] = [])
  /// A second NIC hot-plugged into a running guest: tap on the switch, status-file metadata, `port-created`.
  case hotplug(guest: String, mac: LabMAC, address: IPv4Interface)
  /// The hot-plugged NIC with this MAC removed again: `port-deleted`, tap gone.
  case unplug(guest: String, mac: LabMAC)
  /// A shell command run by hand inside a node's namespace (a later step of a pitfall built by hand).
  case exec(node: String, command: String)
  /// `routed-hook reconcile` on a libvirt host, against its libvirtd.
  case reconcile(host: String)
  /// libvirtd SIGKILLed while `virsh start` of a guest is under way (once the hook's `start` ran), then
  /// started again: it reconnects to what runs and cleans up what did not start.
  case crashDaemon(host: String, duringStartOf: String)
  /// The reconcile fault drill: `cycles` virsh start/destroy cycles of a stopped guest, one of libvirtd's hook
  /// processes SIGKILLed at a random point in each half, then reconcile; fails unless nothing is leaked or missing.
  /// With `byWatch`, no reconcile by hand: the host's `routed-hook watch` must leave nothing leaked or missing.
  case killDrill(guest: String, cycles: Int, byWatch: Bool = false)
  /// Damage done by hand on a `watch: true` host, repaired within `within` seconds (the state read back whole).
  case damage(host: String, damage: Damage, within: Double)
  /// `count` × `nft flush ruleset` in a row; the daemon's CPU stays below `cpuShare` of a core.
  case flushStorm(host: String, count: Int, cpuShare: Double)
  /// The host's `routed-hook watch` SIGKILLed, or started again.
  case watch(host: String, operation: WatchOperation)
  /// BIRD on a BGP host: killed (SIGKILL, as in a crash), stopped for a graceful restart (`birdc graceful
  /// restart`: its neighbours keep its routes), or started (with `-R` after a graceful stop).
  case bird(host: String, operation: BirdOperation)

  public enum WatchOperation: String, Sendable, Equatable {
    case kill = "SIGKILLed"
    case start = "started"
  }

  public enum BirdOperation: String, Sendable, Equatable {
    case kill = "killed"
    case stop = "stopped for a graceful restart"
    case start = "started"
  }

  public var description: String {
    switch self {
    case .start(let guest): return "guest start \(guest)"
    case .stop(let guest): return "guest stop \(guest)"
    case .shutdown(let guest): return "guest shutdown \(guest)"
    case .restartDaemon(let host): return "host restart-daemon \(host)"
    case .migrate(let guest, let host, let hold, let measure):
      if hold { return "migrate \(guest) to \(host), hold in the overlap window" }
      return measure.isEmpty
        ? "migrate \(guest) to \(host)" : "migrate \(guest) to \(host), pinged by \(measure.joined(separator: ", "))"
    case .hotplug(let guest, let mac, let address): return "hotplug \(guest) NIC \(mac) \(address)"
    case .unplug(let guest, let mac): return "unplug \(guest) NIC \(mac)"
    case .exec(let node, let command): return "on \(node): \(command)"
    case .reconcile(let host): return "routed-hook reconcile on \(host)"
    case .killDrill(let guest, let cycles, let byWatch):
      return "kill drill: \(cycles) cycles of \(guest), then " + (byWatch ? "routed-hook watch, no reconcile" : "reconcile")
    case .damage(let host, let damage, let within):
      return "on \(host): \(damage), repaired within \(Int((within * 1000).rounded())) ms"
    case .flushStorm(let host, let count, let cpuShare):
      return "on \(host): \(count) × nft flush ruleset, watch below \(Int((cpuShare * 100).rounded()))% CPU"
    case .watch(let host, let operation): return "routed-hook watch on \(host): \(operation.rawValue)"
    case .crashDaemon(let host, let guest): return "libvirtd on \(host) SIGKILLed while \(guest) starts"
    case .bird(let host, let operation): return "bird on \(host): \(operation.rawValue)"
    }
  }
}
