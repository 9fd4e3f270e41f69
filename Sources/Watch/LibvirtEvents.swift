#if canImport(Glibc)
  import Glibc
#endif
import CLibvirt
import RoutedCore

/// One libvirt event as the daemon sees it.
public struct LibvirtEvent: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// A lifecycle event (virDomainEventType and its detail).
    case lifecycle(event: Int32, detail: Int32)
    /// The connection closed (virConnectCloseReason): libvirtd stopped or restarted.
    case closed(reason: Int32)
  }
  public var uri: String
  public var uuid: String
  public var name: String
  public var kind: Kind

  /// What this event means for a migration's handover, nil when nothing: `SUSPENDED_MIGRATED` (on the source,
  /// the pause for the switchover), any `RESUMED` (the guest runs here: on the destination after its migration,
  /// on the source after a failed one, both `RESUMED_MIGRATED` in libvirt 9.0), `STOPPED_MIGRATED` (on the
  /// source, the guest left). Which host is which is the record's claim's business (`Handover.step`).
  public var migrationEvent: Handover.MigrationEvent? {
    guard case .lifecycle(let event, let detail) = kind else { return nil }
    switch event {
    case Int32(VIR_DOMAIN_EVENT_SUSPENDED.rawValue):
      return detail == Int32(VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED.rawValue) ? .pausedForMigration : nil
    case Int32(VIR_DOMAIN_EVENT_RESUMED.rawValue):
      return .resumed
    case Int32(VIR_DOMAIN_EVENT_STOPPED.rawValue):
      return detail == Int32(VIR_DOMAIN_EVENT_STOPPED_MIGRATED.rawValue) ? .stoppedAfterMigration : nil
    default:
      return nil
    }
  }

  /// A detail that names a migration (`suspended/migrated`, `resumed/migrated`, `resumed/postcopy`,
  /// `stopped/migrated`): worth a log line even when there is nothing to hand over.
  public var concernsMigration: Bool {
    guard case .lifecycle(let event, let detail) = kind else { return false }
    switch event {
    case Int32(VIR_DOMAIN_EVENT_SUSPENDED.rawValue): return detail == Int32(VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED.rawValue)
    case Int32(VIR_DOMAIN_EVENT_RESUMED.rawValue):
      return detail == Int32(VIR_DOMAIN_EVENT_RESUMED_MIGRATED.rawValue)
        || detail == Int32(VIR_DOMAIN_EVENT_RESUMED_POSTCOPY.rawValue)
    case Int32(VIR_DOMAIN_EVENT_STOPPED.rawValue): return detail == Int32(VIR_DOMAIN_EVENT_STOPPED_MIGRATED.rawValue)
    default: return false
    }
  }

  /// Any STOPPED event: the domain no longer runs here.
  public var isStopped: Bool {
    if case .lifecycle(let event, _) = kind { return event == Int32(VIR_DOMAIN_EVENT_STOPPED.rawValue) }
    return false
  }

  /// A short text for logs: `resumed/migrated`, `stopped/destroyed`, `closed/eof`.
  public var text: String {
    switch kind {
    case .lifecycle(let event, let detail): LibvirtEventNames.lifecycle(event, detail)
    case .closed(let reason): "connection closed/\(LibvirtEventNames.closeReason(reason))"
    }
  }
}

/// libvirt's event API over dlopen (as `reconcile` loads libvirt): the default event loop on a thread of its
/// own, one read-only connection per URI with lifecycle and close callbacks, and reconnects when libvirtd
/// restarts. Callbacks write into a pipe whose read end (`descriptor`) the daemon polls with its netlink sockets.
public final class LibvirtEvents {
  /// One URI's connection, or why there is none.
  public struct Connection: Sendable, Equatable {
    public var uri: String
    public var connected: Bool
    /// The last failure (open or close), nil while connected.
    public var error: String?
    /// True when the last failure says the driver does not exist here: retried only rarely.
    public var driverAbsent: Bool
    /// Connections made so far: more than one means libvirtd restarted and we reconnected.
    public var connects: Int
  }

  private var api = rh_libvirt()
  private var events = rh_libvirt_events()
  private var slots: [Slot] = []
  private let pipeRead: Int32
  private let pipeWrite: Int32

  private final class Slot {
    var uri: String
    var connection: virConnectPtr?
    var callbackID: Int32 = -1
    var target: UnsafeMutablePointer<rh_event_target>
    var state: Connection
    var nextAttempt: Double = 0

    init(uri: String, target: UnsafeMutablePointer<rh_event_target>) {
      self.uri = uri
      self.target = target
      state = Connection(uri: uri, connected: false, error: "not connected yet", driverAbsent: false, connects: 0)
    }
  }

  /// The pipe's read end, readable when events are waiting.
  public var descriptor: Int32 { pipeRead }

  /// Loads libvirt, registers its default event loop and starts it. Throws when libvirt cannot be loaded.
  public init(uris: [String]) throws(WatchError) {
    guard rh_libvirt_load(&api) == 0, rh_libvirt_events_load(&api, &events) == 0 else {
      let reason = rh_libvirt_load_error().map { String(cString: $0) } ?? "a symbol is missing"
      throw WatchError("cannot load libvirt (Debian package libvirt0): \(reason)")
    }
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw WatchError.system("pipe", errno) }
    pipeRead = ends[0]
    pipeWrite = ends[1]
    for end in ends {
      _ = fcntl(end, F_SETFD, FD_CLOEXEC)
      _ = fcntl(end, F_SETFL, O_NONBLOCK)
    }
    // F_SETPIPE_SZ (1031; Glibc's module lacks _GNU_SOURCE): room for about 9,000 events while the main loop
    // is busy repairing.
    _ = fcntl(pipeWrite, 1031, Int32(1 << 20))
    guard events.registerDefaultImpl() == 0, rh_libvirt_start_event_loop(&events) == 0 else {
      throw WatchError("cannot start libvirt's event loop")
    }
    for (index, uri) in uris.enumerated() {
      let target = UnsafeMutablePointer<rh_event_target>.allocate(capacity: 1)
      target.initialize(
        to: rh_event_target(
          fd: pipeWrite, slot: Int32(index), getUUIDString: api.domainGetUUIDString, getName: api.domainGetName,
          overflow: 0))
      slots.append(Slot(uri: uri, target: target))
    }
  }

  /// Every URI's state.
  public var connections: [Connection] { slots.map(\.state) }

  /// Opens the URIs that are not connected and due for a retry; returns those that connected now.
  /// A missing driver is retried every 60 s, anything else every second.
  public func connectDue(now: Double) -> [String] {
    var connected: [String] = []
    for slot in slots where slot.connection == nil && now >= slot.nextAttempt {
      guard let connection = api.connectOpenReadOnly!(slot.uri) else {
        let code = rh_libvirt_last_code(&api)
        slot.state.error = lastError("cannot open")
        slot.state.driverAbsent = code == Int32(VIR_ERR_NO_CONNECT.rawValue)
        slot.nextAttempt = now + (slot.state.driverAbsent ? 60 : 1)
        continue
      }
      let id = rh_libvirt_watch(&events, connection, slot.target)
      guard id >= 0 else {
        slot.state.error = lastError("cannot register for events")
        _ = api.connectClose!(connection)
        slot.nextAttempt = now + 1
        continue
      }
      slot.connection = connection
      slot.callbackID = id
      slot.state.connected = true
      slot.state.error = nil
      slot.state.driverAbsent = false
      slot.state.connects += 1
      connected.append(slot.uri)
    }
    return connected
  }

  /// The events waiting in the pipe. A close event also drops the connection (reopened by `connectDue`).
  /// `overflowed` is true when an event was lost because the pipe was full.
  public func read() -> (events: [LibvirtEvent], overflowed: Bool) {
    var result: [LibvirtEvent] = []
    var record = rh_libvirt_event()
    let size = MemoryLayout<rh_libvirt_event>.size
    while withUnsafeMutableBytes(of: &record, { Glibc.read(pipeRead, $0.baseAddress, size) }) == size {
      let slot = slots[Int(record.slot)]
      let uuid = withUnsafeBytes(of: record.uuid) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      let name = withUnsafeBytes(of: record.name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      if record.event == Int32(RH_EVENT_CLOSED) {
        drop(slot, reason: "libvirtd closed the connection (\(LibvirtEventNames.closeReason(record.detail)))")
        result.append(LibvirtEvent(uri: slot.uri, uuid: "", name: "", kind: .closed(reason: record.detail)))
      } else {
        result.append(
          LibvirtEvent(
            uri: slot.uri, uuid: uuid.lowercased(), name: name,
            kind: .lifecycle(event: record.event, detail: record.detail)))
      }
    }
    let overflowed = slots.reduce(false) { $0 || rh_event_take_overflow($1.target) != 0 }
    return (result, overflowed)
  }

  private func drop(_ slot: Slot, reason: String) {
    guard let connection = slot.connection else { return }
    rh_libvirt_unwatch(&events, connection, slot.callbackID)
    _ = api.connectClose!(connection)
    slot.connection = nil
    slot.callbackID = -1
    slot.state.connected = false
    slot.state.error = reason
    slot.nextAttempt = 0
  }

  /// The domains of the connected URIs that run unpaused now (VIR_DOMAIN_RUNNING), by UUID, with their URI;
  /// nil for a URI whose listing failed. Used at start to finish handovers whose resume happened while the
  /// daemon was down.
  public func runningDomains() -> [(uri: String, uuids: [String]?)] {
    slots.filter { $0.connection != nil }.map { slot in
      var list: UnsafeMutablePointer<virDomainPtr?>?
      let count = api.connectListAllDomains!(slot.connection, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue)
      guard count >= 0, let list else { return (slot.uri, nil) }
      defer { free(list) }
      var uuids: [String] = []
      for index in 0..<Int(count) {
        guard let domain = list[index] else { continue }
        defer { _ = api.domainFree!(domain) }
        var state: Int32 = 0
        var reason: Int32 = 0
        var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard events.domainGetState(domain, &state, &reason, 0) == 0,
          state == Int32(VIR_DOMAIN_RUNNING.rawValue),
          api.domainGetUUIDString!(domain, &buffer) == 0
        else { continue }
        uuids.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.lowercased())
      }
      return (slot.uri, uuids)
    }
  }

  private func lastError(_ what: String) -> String {
    "\(what): " + (api.getLastErrorMessage!().map { String(cString: $0) } ?? "unknown error")
  }
}

/// Names of libvirt's lifecycle events and details, for logs and status.
enum LibvirtEventNames {
  static func lifecycle(_ event: Int32, _ detail: Int32) -> String {
    let events = ["defined", "undefined", "started", "suspended", "resumed", "stopped", "shutdown", "pmsuspended",
      "crashed"]
    let details: [[String]] = [
      ["added", "updated", "renamed", "from-snapshot"],
      ["removed", "renamed"],
      ["booted", "migrated", "restored", "from-snapshot", "wakeup"],
      ["paused", "migrated", "ioerror", "watchdog", "restored", "from-snapshot", "api-error", "postcopy",
        "postcopy-failed"],
      ["unpaused", "migrated", "from-snapshot", "postcopy", "postcopy-failed"],
      ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot"],
      ["finished", "guest", "host"],
      ["memory", "disk"],
      ["panicked", "crashloaded"],
    ]
    let index = Int(event)
    guard index >= 0, index < events.count else { return "event \(event)/\(detail)" }
    let names = details[index]
    let detailName = detail >= 0 && Int(detail) < names.count ? names[Int(detail)] : "\(detail)"
    return "\(events[index])/\(detailName)"
  }

  static func closeReason(_ reason: Int32) -> String {
    ["error", "eof", "keepalive", "client"].indices.contains(Int(reason))
      ? ["error", "eof", "keepalive", "client"][Int(reason)] : "\(reason)"
  }
}
