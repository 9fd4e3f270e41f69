import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The reconcile fault drill against a real libvirtd: a guest started and destroyed again and again with
/// `virsh` while one of the hook processes libvirtd runs in each half cycle is SIGKILLed at a random point,
/// then one `routed-hook reconcile`. Leaked and missing objects are counted with `ip -j` and `nft -j` against
/// a snapshot of what a clean start of the same guest makes.
struct KillDrill {
  let guests: LibvirtGuests
  let hook: HookDriver
  let guest: Guest
  /// No reconcile by hand: the host's `routed-hook watch` (reconciling after each stop libvirt reports) must
  /// leave nothing leaked or missing within `settleSeconds`.
  var byWatch = false
  static let settleSeconds = 15.0

  var names: LabNames { guests.names }
  var namespace: String { names.namespace(guest.host) }

  /// What the drill did and found.
  struct Report {
    var cycles = 0
    var seconds = 0.0
    var kills: [String: Int] = [:]
    var before = (leaked: 0, missing: 0)
    var after = (leaked: 0, missing: 0)
    var running = false
    var repairer = "reconcile"

    var summary: String {
      let killed = kills.keys.sorted().map { "\($0) \(kills[$0]!)" }.joined(separator: ", ")
      return
        "\(cycles) start/destroy cycles in \(String(format: "%.0f", seconds)) s; "
        + "\(kills.values.reduce(0, +)) hook processes SIGKILLed (\(killed.isEmpty ? "none" : killed)); "
        + "right after the last: \(before.leaked) leaked, \(before.missing) missing; "
        + "after \(repairer): \(after.leaked) leaked, \(after.missing) missing"
    }
  }

  /// Runs `cycles` cycles (at most `budget` seconds), then reconcile; the guest must be stopped at first.
  func run(cycles: Int, budget: Double) throws -> Report {
    let libvirt = guests.daemon(guests.host(of: guest))
    let driver = guests.driver(guest)
    // The guest's own objects, as a clean start makes them, and everything else that must stay.
    let others = try KernelObjects.read(namespace: namespace, config: names.hookConfig(guest.host))
    try libvirt.virshCheck(driver, ["start", guest.name])
    let own = try KernelObjects.read(namespace: namespace, config: names.hookConfig(guest.host)).subtracting(others)
    try libvirt.virshCheck(driver, ["destroy", guest.name])
    guard own.count > 0 else { throw LabError("a clean start of \(guest.name) made no routed objects") }
    var report = Report()
    let started = Date()
    // The binary libvirtd runs is the one `up` linked into its hook directory; /proc/PID/exe names it with
    // every symbolic link resolved.
    let installed = "\(names.libvirtEtc(guest.host))/hooks/lxc.d/routed-hook"
    guard let resolved = realpath(installed, nil) else { throw LabError("cannot resolve \(installed)") }
    let hookBinary = String(cString: resolved)
    free(resolved)
    while report.cycles < cycles && Date().timeIntervalSince(started) < budget {
      for verb in ["start", "destroy"] {
        if verb == "destroy", !guests.isRunning(guest) { continue }
        // Mostly one hook call killed; sometimes every call from there on (stopped and release both gone
        // leaves objects that only reconcile can find).
        let first = Int.random(in: 0...3)
        let targets = Bool.random() ? first...first : first...99
        try run(verb, killing: targets, maximumDelay: 4000, binary: hookBinary, report: &report)
      }
      report.cycles += 1
    }
    // A last start, and a destroy that loses every hook call at once: reconcile always has a leak to find.
    if !guests.isRunning(guest) { try libvirt.virshCheck(driver, ["start", guest.name]) }
    try run("destroy", killing: 0...99, maximumDelay: 0, binary: hookBinary, report: &report)
    report.seconds = Date().timeIntervalSince(started)
    report.running = guests.isRunning(guest)
    let expected = report.running ? others.union(own) : others
    report.before = try KernelObjects.read(namespace: namespace, config: names.hookConfig(guest.host)).compare(to: expected)
    if byWatch {
      // The daemon reconciles a few seconds after each stop libvirt reports; wait for it, never call it.
      let waited = Date()
      report.after = report.before
      while report.after != (0, 0) && Date().timeIntervalSince(waited) < Self.settleSeconds {
        usleep(100_000)
        report.after = try KernelObjects.read(namespace: namespace, config: names.hookConfig(guest.host))
          .compare(to: expected)
      }
      report.repairer = "routed-hook watch (\(String(format: "%.1f", Date().timeIntervalSince(waited))) s, no reconcile by hand)"
    } else {
      let uris = ["lxc", "qemu"].flatMap { ["--connect", names.libvirtURI(guest.host, driver: $0)] }
      let reconcile = try hook.command(host: guest.host, ["reconcile"] + uris)
      guard reconcile.succeeded else { throw LabError("reconcile: \(reconcile.failureSummary)") }
      report.after = try KernelObjects.read(namespace: namespace, config: names.hookConfig(guest.host))
        .compare(to: expected)
    }
    return report
  }
}

extension KillDrill {
  /// One `virsh` verb on the guest while the hook calls it causes are watched and killed.
  fileprivate func run(
    _ verb: String, killing targets: ClosedRange<Int>, maximumDelay: UInt32, binary: String,
    report: inout Report
  ) throws {
    let killer = HookKiller(
      binary: binary, scope: try NamespaceMembers(namespace: namespace), targets: targets,
      maximumDelay: maximumDelay)
    let thread = Thread { killer.watch() }
    thread.start()
    _ = try guests.daemon(guests.host(of: guest)).virsh(
      guests.driver(guest), [verb, guest.name], timeout: 60)
    killer.stop()
    for op in killer.killedOps { report.kills[op, default: 0] += 1 }
  }
}

/// The processes of one lab network namespace: the lab's libvirtd runs there (`ip netns exec`), and every hook
/// process it starts inherits it. A process running the same binary anywhere else (a real libvirt on this
/// machine using the same routed-hook) is not the drill's to kill.
struct NamespaceMembers {
  /// `/proc/PID/ns/net` of a member reads `net:[INODE]`.
  let link: String

  init(namespace: String) throws {
    var status = stat()
    guard stat("/run/netns/\(namespace)", &status) == 0 else {
      throw LabError("network namespace \(namespace) does not exist")
    }
    link = "net:[\(status.st_ino)]"
  }

  func contains(_ pid: Int32) -> Bool {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")) == link
  }
}

/// Watches for routed-hook processes in the lab's namespace and SIGKILLs those whose ordinal (in the order
/// seen) is in `targets`, each a random moment into its run, if it still runs then.
private final class HookKiller: @unchecked Sendable {
  let binary: String
  let scope: NamespaceMembers
  let targets: ClosedRange<Int>
  /// Microseconds to wait, at most, between seeing a process and killing it.
  let maximumDelay: UInt32
  private let lock = NSLock()
  private var stopped = false
  private var ops: [String] = []

  init(binary: String, scope: NamespaceMembers, targets: ClosedRange<Int>, maximumDelay: UInt32) {
    self.binary = binary
    self.scope = scope
    self.targets = targets
    self.maximumDelay = maximumDelay
  }

  var killedOps: [String] { lock.withLock { ops } }

  func stop() { lock.withLock { stopped = true } }

  func watch() {
    var seen = Set<Int32>()
    var spared = Set<Int32>()
    while !lock.withLock({ stopped }) {
      for entry in FileSystem.list("/proc") {
        guard let pid = Int32(entry), !seen.contains(pid), !spared.contains(pid),
          (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe")) == binary,
          scope.contains(pid)
        else { continue }
        // argv: hook path, object, op, subop, extra.
        // Right after exec the command line may not be set up yet.
        var arguments: [String] = []
        for _ in 0..<20 where arguments.count < 3 {
          arguments = FileSystem.read("/proc/\(entry)/cmdline")?.split(separator: "\0").map(String.init) ?? []
          if arguments.count < 3 { usleep(100) }
        }
        // Only the hook calls libvirtd runs (through a hooks/*.d link): the host's routed-hook watch runs the
        // same binary and is no hook call.
        guard arguments.first?.contains("/hooks/") == true else {
          spared.insert(pid)
          continue
        }
        seen.insert(pid)
        guard targets.contains(seen.count - 1) else { continue }
        usleep(UInt32.random(in: 0...maximumDelay))
        // A process that already finished (gone, or a zombie its parent has not reaped) was not interrupted.
        guard
          let state = FileSystem.read("/proc/\(entry)/stat")?.split(separator: ")").last?.dropFirst().first,
          state != "Z", kill(pid, SIGKILL) == 0
        else { continue }
        lock.withLock { ops.append(arguments.count > 2 ? arguments[2] : "?") }
      }
    }
  }
}
