#if canImport(Glibc)
  import Glibc
#endif

/// A process the lab started, identified by PID *and* start time so a recycled PID is never killed.
public struct ProcessRecord: Equatable, Sendable {
  public var pid: Int32
  /// Field 22 of /proc/PID/stat: clock ticks after boot when the process started.
  public var startTime: UInt64
  public var name: String

  /// The record for a live PID, or nil when there is no such process.
  public static func current(pid: Int32, name: String) -> ProcessRecord? {
    guard let stat = Self.stat(pid) else { return nil }
    return ProcessRecord(pid: pid, startTime: stat.startTime, name: name)
  }

  /// True while the same process (same PID and start time) exists and is not a zombie.
  public var isAlive: Bool {
    guard let stat = Self.stat(pid) else { return false }
    return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
  }

  /// Sends SIGTERM, waits up to `grace` seconds, then SIGKILL; returns true once the process is gone.
  @discardableResult
  public func terminate(grace: Double = 1.0) -> Bool {
    guard isAlive else { return true }
    kill(pid, SIGTERM)
    var waited = 0.0
    while isAlive && waited < grace {
      usleep(5000)
      waited += 0.005
    }
    if isAlive {
      kill(pid, SIGKILL)
      usleep(20000)
    }
    return !isAlive
  }

  private static func stat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
    guard let text = FileSystem.read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else {
      return nil
    }
    // Fields after the command name (which may hold spaces) start at field 3, the state.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
    return (state, start)
  }
}
