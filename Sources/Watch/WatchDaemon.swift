#if canImport(Glibc)
  import Glibc
#endif
import HookRuntime
import RoutedCore
import RoutedKernel

/// `routed-hook watch`: repairs drift from kernel events within a second, follows libvirt's lifecycle events, and
/// reports what it sees (status file, Prometheus textfile, syslog). Hooks never need it: it only closes the
/// windows between hook calls. Read docs/watch.md first.
public final class WatchDaemon {
  public struct Options: Sendable {
    public var settings: Settings
    public var uris: [String]
    /// node-exporter textfile; nil: none.
    public var metricsPath: String?
    /// Quiet time after the last kernel event of a burst before repairing.
    public var debounce: Double = 0.05
    /// The longest a burst may delay its repair.
    public var maximumDelay: Double = 0.3
    /// A reconcile against libvirt's listing this often (the timer's safety net), while libvirt is connected.
    public var reconcileInterval: Double = 300
    /// Metrics (objects present, missing) re-read this often besides after every repair.
    public var metricsInterval: Double = 15
    public var doctorInterval: Double = 300
    /// Without libvirt at all (tests, hosts without libvirt0).
    public var useLibvirt = true

    public init(settings: Settings, uris: [String], metricsPath: String?) {
      self.settings = settings
      self.uris = uris
      self.metricsPath = metricsPath
    }
  }

  let options: Options
  let routing: GuestRouting
  let config: HostConfig
  let notify = SystemdNotify()
  let kernel: KernelEvents
  let libvirt: LibvirtEvents?
  /// What a migration's handover changes; the daemon decides when (libvirt's events).
  let handover: MigrationHandover
  var status: WatchStatus
  let metrics: WatchMetrics
  /// Addresses of the baseline's own set elements (host addresses): their deletion is always damage.
  let baselineAddresses: [String]

  /// The UUIDs libvirt runs, from the last listing and the lifecycle events since; nil while not every URI
  /// answers (then repairs trust the records alone).
  var running: Set<String>?
  /// When the current burst of kernel events started and when it last grew, and what started it.
  var burst: (first: Double, last: Double, trigger: String)?
  var reconcileDue: (time: Double, trigger: String)?
  /// When moved claims are next due to settle (after a finished arrival, and once at start).
  var settleDue: Double?
  var nextPeriodicReconcile = 0.0
  var nextMetrics = 0.0
  var nextDoctor = 0.0
  var nextWatchdog = 0.0

  public init(options: Options) throws {
    self.options = options
    routing = GuestRouting(settings: options.settings)
    handover = RoutingHandover(routing: routing)
    guard let config = try routing.loadConfig() else {
      throw WatchError("no config at \(options.settings.configPath): nothing to watch")
    }
    self.config = config
    guard try WatchPresence.claim(stateDirectory: options.settings.stateDirectory) != nil else {
      throw WatchError("another routed-hook watch runs for \(options.settings.stateDirectory)")
    }
    kernel = try KernelEvents(
      classifier: DriftClassifier(
        routeProtocol: config.routeProtocol,
        interfaces: config.guestNetworks.map(\.bridge) + config.uplinks.map(\.interface),
        tables: OwnedTable.allCases.map(\.name)))
    var loaded: LibvirtEvents?
    var loadError: String?
    if options.useLibvirt {
      do { loaded = try LibvirtEvents(uris: options.uris) } catch { loadError = error.description }
    }
    libvirt = loaded
    status = WatchStatus(pid: getpid(), startedAt: Self.wallClock(), libvirtLoaded: loaded != nil)
    status.metricsPath = options.metricsPath
    if let loadError {
      status.libvirt = options.uris.map { .init(uri: $0, connected: false, error: loadError, connects: 0) }
    }
    metrics = WatchMetrics(settings: options.settings, config: config)
    baselineAddresses = Planner.baseline(config: config, facts: HostFacts()).compactMap { object in
      if case .element(_, let key, _) = object { return key.address.description }
      return nil
    }
  }

  /// Runs until SIGTERM or SIGINT.
  public func run() throws {
    log("starting: state \(options.settings.stateDirectory), config \(options.settings.configPath)")
    let start = Self.monotonic()
    connectLibvirt(now: start)
    if running == nil { repairDrift(trigger: "start", since: start) }
    // Claims whose time ran out while no daemon ran.
    settleDue = start
    publish(now: Self.monotonic())
    let mode = libvirt == nil ? "without libvirt: repairing from the records alone" : "watching"
    notify.ready(status: "\(mode); \(statusLine)")
    Signals.install()
    nextWatchdog = Self.monotonic()
    while !Signals.stopRequested {
      let now = Self.monotonic()
      if let interval = notify.watchdogInterval, now >= nextWatchdog {
        notify.watchdog()
        nextWatchdog = now + interval / 2
      }
      waitForEvents(until: nextDeadline(now: now))
      let after = Self.monotonic()
      if let burst, after >= min(burst.last + options.debounce, burst.first + options.maximumDelay) {
        self.burst = nil
        repairDrift(trigger: burst.trigger, since: burst.first)
      }
      connectLibvirt(now: after)
      if let due = reconcileDue, after >= due.time {
        reconcileDue = nil
        reconcile(trigger: due.trigger)
      }
      if running != nil, after >= nextPeriodicReconcile { reconcile(trigger: "periodic") }
      if let due = settleDue, after >= due {
        settleDue = nil
        settle()
      }
      if after >= nextMetrics { publish(now: after) }
    }
    notify.stopping()
    log("stopping")
  }

  // MARK: Events

  private func nextDeadline(now: Double) -> Double {
    var deadline = now + 1  // libvirt reconnects are tried every second
    if let burst { deadline = min(deadline, min(burst.last + options.debounce, burst.first + options.maximumDelay)) }
    if let due = reconcileDue { deadline = min(deadline, due.time) }
    if let due = settleDue { deadline = min(deadline, due) }
    if notify.watchdogInterval != nil { deadline = min(deadline, nextWatchdog) }
    return min(deadline, nextMetrics)
  }

  private func waitForEvents(until deadline: Double) {
    var descriptors = [
      pollfd(fd: kernel.route, events: Int16(POLLIN), revents: 0),
      pollfd(fd: kernel.netfilter, events: Int16(POLLIN), revents: 0),
    ]
    if let libvirt { descriptors.append(pollfd(fd: libvirt.descriptor, events: Int16(POLLIN), revents: 0)) }
    let timeout = max(0, Int32(((deadline - Self.monotonic()) * 1000).rounded(.up)))
    guard poll(&descriptors, nfds_t(descriptors.count), timeout) > 0 else { return }
    let now = Self.monotonic()
    for socket in [kernel.route, kernel.netfilter] {
      for signal in kernel.drain(socket) { note(signal, now: now) }
    }
    if let libvirt { handle(libvirt.read(), now: now) }
  }

  /// Adds a kernel signal to the current burst when it may be damage.
  private func note(_ signal: DriftSignal, now: Double) {
    let trigger: String
    switch signal {
    case .none: return
    case .overrun: trigger = "kernel events lost (buffer overrun)"
    case .everything(let what): trigger = what
    case .guestAddress(let address):
      // The echo of a hook's stop or of our own removal: the address no longer belongs to any record.
      guard owner(of: address) != nil || baselineAddresses.contains(address) else { return }
      trigger = "an object of \(address) went away"
    }
    if burst == nil { burst = (now, now, trigger) } else { burst!.last = now }
  }

  /// The address index's entry (`<state>/address/<ip>`, a symlink to the owner's UUID).
  private func owner(of address: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 64)
    let count = readlink("\(options.settings.stateDirectory)/address/\(address)", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private func handle(_ batch: (events: [LibvirtEvent], overflowed: Bool), now: Double) {
    for event in batch.events {
      switch event.kind {
      case .closed:
        log("libvirt: \(event.uri): \(event.text); reconnecting")
        running = nil
      case .lifecycle:
        // The handover first: a guest paused for its switchover must stop being answered for here, a resumed
        // one be answered for, a departed one be gone, at once.
        if let migration = event.migrationEvent { handOver(event, migration, now: now) }
        if event.isStopped {
          running?.remove(event.uuid)
          // A stop whose hook was killed leaves a record: reconcile once libvirt has run the stop hooks.
          scheduleReconcile(at: now + 2, trigger: "\(event.name) \(event.text)")
        } else if !event.uuid.isEmpty {
          running?.insert(event.uuid)
        }
      }
    }
    if batch.overflowed { scheduleReconcile(at: now, trigger: "libvirt events lost") }
    if !batch.events.isEmpty { writeStatus() }
  }

  private func scheduleReconcile(at time: Double, trigger: String) {
    if let due = reconcileDue, due.time <= time { return }
    reconcileDue = (time, trigger)
  }

  // MARK: Migration handover

  /// libvirt's events of a migration, acted on as `Handover.step` decides from the record's claim: on the source
  /// `SUSPENDED_MIGRATED` withdraws the guest's ARP answer on proxy-arp uplinks and lowers its claim, a resume
  /// after a failed migration restores them, `STOPPED_MIGRATED` removes what is left; on the destination
  /// `RESUMED_MIGRATED` finishes the arrival. One syslog line and one `handover` repair when something changed.
  private func handOver(_ event: LibvirtEvent, _ migration: Handover.MigrationEvent, now: Double) {
    let trigger = "\(event.name) \(event.text)"
    do {
      guard let done = try handover.handle(migration, uuid: event.uuid) else {
        if event.concernsMigration { log("libvirt: \(trigger): nothing to hand over") }
        return
      }
      AuditLog.record("watch handover domain=\(event.name) uuid=\(event.uuid) event=\(event.text): \(done.summary)")
      record(kind: "handover", trigger: trigger, latency: Self.monotonic() - now, objects: [done.summary], error: nil)
      log("handover (\(trigger)): \(done.summary)")
      if done.step == .finishArrival {
        let due = now + Double(GuestRoutePreference.movedSeconds) + 1
        settleDue = min(settleDue ?? due, due)
      }
      refreshPendingHandovers()
    } catch {
      AuditLog.record("watch handover failed domain=\(event.name) uuid=\(event.uuid) event=\(event.text): \(error)")
      record(kind: "handover", trigger: trigger, latency: Self.monotonic() - now, objects: [], error: "\(error)")
      log("handover failed (\(trigger)): \(error)")
    }
  }

  /// Moved claims whose time is up go back to normal.
  private func settle() {
    do {
      let settled = try handover.settle()
      refreshPendingHandovers()
      guard !settled.isEmpty else { return }
      let names = settled.map(\.name).joined(separator: ", ")
      AuditLog.record("watch handover settled domains=[\(names)]")
      log("handover settled: \(names)")
      writeStatus()
    } catch {
      log("settling moved claims failed: \(error)")
      settleDue = Self.monotonic() + 5
    }
  }

  private func refreshPendingHandovers() {
    status.pendingHandovers = handover.pending().map {
      .init(uuid: $0.domain.uuid, name: $0.domain.name, claim: $0.claim.rawValue, until: nil)
    }
  }

  // MARK: libvirt

  /// Opens connections that are due; a (re)connect means events may have been missed: reconcile at once.
  private func connectLibvirt(now: Double) {
    guard let libvirt else { return }
    let connected = libvirt.connectDue(now: now)
    status.libvirt = libvirt.connections.map {
      .init(uri: $0.uri, connected: $0.connected, error: $0.error, connects: $0.connects)
    }
    if !connected.isEmpty {
      log("libvirt: connected to \(connected.joined(separator: ", "))")
      reconcile(trigger: "libvirt connected")
    }
  }

  /// Every URI answers, or says its driver does not exist here.
  private var libvirtComplete: Bool {
    guard let libvirt else { return false }
    let connections = libvirt.connections
    return connections.contains(where: \.connected) && connections.allSatisfy { $0.connected || $0.driverAbsent }
  }

  // MARK: Repairs

  private func repairDrift(trigger: String, since: Double) {
    status.checks += 1
    let confirmed = running
    do {
      let report = try routing.repairDrift(config: config, runs: confirmed.map { set in { set.contains($0) } })
      if !report.unconfirmed.isEmpty {
        scheduleReconcile(
          at: Self.monotonic() + 1,
          trigger: "records libvirt does not list: \(report.unconfirmed.map(\.name).joined(separator: ", "))")
      }
      status.lastVerified = Self.wallClock()
      guard !report.isEmpty else {
        status.checksClean += 1
        writeStatus()
        return
      }
      let latency = Self.monotonic() - since
      var objects = report.baseline.map(PlanText.objectText)
      for (domain, added) in report.guests {
        objects += added.map(PlanText.objectText)
        AuditLog.record(
          "watch repair domain=\(domain.name) uuid=\(domain.uuid) added=\(added.count) "
            + "objects=[\(added.map(Self.objectKind).joined(separator: " "))] trigger=\"\(trigger)\"")
      }
      if !report.baseline.isEmpty {
        AuditLog.record(
          "watch repair baseline added=\(report.baseline.count) "
            + "objects=[\(report.baseline.map(Self.objectKind).joined(separator: " "))] trigger=\"\(trigger)\"")
      }
      for object in report.baseline + report.guests.flatMap(\.objects) {
        status.repairedObjects[Self.objectKind(object), default: 0] += 1
      }
      record(kind: "drift", trigger: trigger, latency: latency, objects: objects, error: nil)
      log(
        "repaired \(objects.count) objects in \(Int(latency * 1000)) ms (\(trigger)): "
          + "\(report.baseline.count) of the baseline, \(report.guests.count) guests")
      if !report.announced.isEmpty {
        let sent = report.announced.map(\.description).joined(separator: ", ")
        let failed = report.announceFailures.isEmpty ? "" : "; not sent: \(report.announceFailures.joined(separator: "; "))"
        AuditLog.record("watch reannounce after uplink repair: \(sent)\(failed)")
        log("uplink re-created: announced \(sent)\(failed)")
      }
    } catch {
      record(kind: "drift", trigger: trigger, latency: Self.monotonic() - since, objects: [], error: "\(error)")
      AuditLog.record("watch repair failed trigger=\"\(trigger)\": \(error)")
      log("repair failed (\(trigger)): \(error)")
    }
  }

  /// A reconcile against libvirt's listing: removes records of domains that stopped, re-applies running ones.
  private func reconcile(trigger: String) {
    guard libvirt != nil else { return }
    nextPeriodicReconcile = Self.monotonic() + options.reconcileInterval
    let started = Self.monotonic()
    var listed: LibvirtListing?
    do {
      let client = try LibvirtClient()
      let report = try routing.reconcile(config: config, dryRun: false) {
        let listing = client.activeDomains(uris: options.uris)
        listed = listing
        return listing
      }
      status.lastReconcile = Self.wallClock()
      if report.failures == 0 { status.lastVerified = status.lastReconcile }
      if let listed, libvirtComplete, listed.isComplete { running = Set(listed.domains.map(\.identity.uuid)) }
      guard !report.steps.isEmpty else {
        writeStatus()
        return
      }
      let lines = report.steps.map {
        "\($0.kind.rawValue) \($0.domain ?? "")\($0.domain == nil ? "" : " ")\($0.detail) → \($0.result ?? "")"
      }
      for line in lines { AuditLog.record("watch reconcile \(line) trigger=\"\(trigger)\"") }
      record(
        kind: "reconcile", trigger: trigger, latency: Self.monotonic() - started, objects: lines,
        error: report.failures > 0 ? "\(report.failures) steps failed" : nil)
      log("reconciled (\(trigger)): \(lines.joined(separator: "; "))")
    } catch {
      log("reconcile failed (\(trigger)): \(error)")
      writeStatus()
    }
  }

  private func record(kind: String, trigger: String, latency: Double, objects: [String], error: String?) {
    status.lastRepair = .init(
      time: Self.wallClock(), kind: kind, trigger: trigger, latencySeconds: latency, objects: objects, error: error)
    if error == nil { status.repairs[kind, default: 0] += 1 }
    publish(now: Self.monotonic())
  }

  // MARK: Reporting

  private func publish(now: Double) {
    nextMetrics = now + options.metricsInterval
    refreshPendingHandovers()
    let runDoctor = now >= nextDoctor
    if runDoctor { nextDoctor = now + options.doctorInterval }
    if let path = options.metricsPath {
      do {
        try PrometheusText.write(metrics.families(status: status, runDoctor: runDoctor), to: path)
        status.metricsError = nil
      } catch {
        status.metricsError = "\(error)"
      }
    }
    writeStatus()
    notify.status(statusLine)
  }

  private var statusLine: String {
    let libvirtText =
      libvirt == nil
      ? "libvirt not loaded" : status.libvirt.map { "\($0.uri) \($0.connected ? "up" : "down")" }.joined(separator: ", ")
    let repairs = status.repairs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    return "repairs: \(repairs.isEmpty ? "none" : repairs); \(libvirtText)"
  }

  private func writeStatus() {
    do { try status.write(stateDirectory: options.settings.stateDirectory) } catch {
      log("cannot write status: \(error)")
    }
  }

  private func log(_ line: String) { printError("watch: \(line)") }

  static func objectKind(_ object: KernelObject) -> String {
    switch object {
    case .element: "element"
    case .route: "route"
    case .address: "address"
    case .link: "link"
    case .sysctl: "sysctl"
    case .table: "table"
    case .set: "set"
    case .chain: "chain"
    case .neighbour: "neighbour"
    }
  }

  static func monotonic() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  static func wallClock() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}

/// SIGTERM and SIGINT end the loop at its next turn (poll returns with EINTR).
enum Signals {
  nonisolated(unsafe) static var stop: sig_atomic_t = 0
  static var stopRequested: Bool { stop != 0 }

  static func install() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in Signals.stop = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGTERM, &action, nil)
    sigaction(SIGINT, &action, nil)
    // A parent may have started us with them blocked (the mask survives exec): systemd does not, test runners do.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGINT)
    sigprocmask(SIG_UNBLOCK, &set, nil)
  }
}
