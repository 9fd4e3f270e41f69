#if canImport(Glibc)
  import Glibc
#endif
import FoundationEssentials
import RoutedKernel

/// The watch daemon's view, as it writes it to `<state dir>/watch.status` after every change and as
/// `routed-hook status --json` shows it (under `watch`) while the daemon runs.
public struct WatchStatus: Codable, Sendable, Equatable {
  public struct Connection: Codable, Sendable, Equatable {
    public var uri: String
    public var connected: Bool
    public var error: String?
    /// How often it connected: more than once means libvirtd restarted and the daemon reconnected.
    public var connects: Int

    public init(uri: String, connected: Bool, error: String?, connects: Int) {
      self.uri = uri
      self.connected = connected
      self.error = error
      self.connects = connects
    }
  }

  public struct Repair: Codable, Sendable, Equatable {
    /// Unix time the repair finished.
    public var time: Double
    /// `drift` (from kernel events), `reconcile` (against libvirt's listing), `handover`.
    public var kind: String
    /// What set it off: the first kernel event's description, `start`, `libvirt reconnected`, …
    public var trigger: String
    /// From the first event of the burst to the repair's end, in seconds.
    public var latencySeconds: Double
    /// Objects put back (or removed, for reconcile), as `routed-hook plan` writes them.
    public var objects: [String]
    /// Set when the repair failed.
    public var error: String?

    public init(
      time: Double, kind: String, trigger: String, latencySeconds: Double, objects: [String], error: String?
    ) {
      self.time = time
      self.kind = kind
      self.trigger = trigger
      self.latencySeconds = latencySeconds
      self.objects = objects
      self.error = error
    }
  }

  public struct Handover: Codable, Sendable, Equatable {
    public var uuid: String
    public var name: String
    /// `arriving` (waiting for RESUMED_MIGRATED) or `moved` (until `until`).
    public var claim: String
    public var until: Double?

    public init(uuid: String, name: String, claim: String, until: Double?) {
      self.uuid = uuid
      self.name = name
      self.claim = claim
      self.until = until
    }
  }

  public var running = true
  public var pid: Int32
  public var startedAt: Double
  /// False when libvirt could not be loaded: the daemon then repairs from the records alone.
  public var libvirtLoaded: Bool
  public var libvirt: [Connection]
  public var lastRepair: Repair?
  /// Repairs that changed something, by kind: `drift`, `reconcile`, `handover`.
  public var repairs: [String: Int]
  /// Objects put back by drift repairs, by object kind (`route`, `element`, `table`, `sysctl`, …).
  public var repairedObjects: [String: Int]
  /// Kernel event bursts checked, and how many of them found nothing to do (a hook's own stop, our echo).
  public var checks: Int
  public var checksClean: Int
  /// When a reconcile against libvirt last succeeded.
  public var lastReconcile: Double?
  /// When the kernel was last checked against the records (a drift check or a reconcile) without error.
  public var lastVerified: Double?
  public var pendingHandovers: [Handover]
  /// Where the Prometheus textfile goes (nil: disabled), and why the last write failed.
  public var metricsPath: String?
  public var metricsError: String?

  public init(pid: Int32, startedAt: Double, libvirtLoaded: Bool) {
    self.pid = pid
    self.startedAt = startedAt
    self.libvirtLoaded = libvirtLoaded
    libvirt = []
    repairs = [:]
    repairedObjects = [:]
    checks = 0
    checksClean = 0
    pendingHandovers = []
  }

  /// Not `.json`: every `*.json` in the state directory is a domain record.
  public static let fileName = "watch.status"

  /// Written to a temporary file and renamed over the old one.
  public func write(stateDirectory: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(self)
    try AtomicFile.write(Array(data), to: stateDirectory + "/" + Self.fileName)
  }

  /// The daemon's view, or nil while no daemon runs (its last file may remain after a crash: the lock decides).
  public static func read(stateDirectory: String) -> WatchStatus? {
    guard WatchPresence.isRunning(stateDirectory: stateDirectory),
      case .contents(let bytes)? = try? Files.read(stateDirectory + "/" + fileName, limit: 1 << 22, followLinks: false)
    else { return nil }
    return try? JSONDecoder().decode(WatchStatus.self, from: Data(bytes))
  }
}
