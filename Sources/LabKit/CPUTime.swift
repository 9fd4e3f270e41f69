import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Machine-wide CPU time from `/proc/stat`, as netperf's service demand takes it: every namespace shares one
/// kernel, so the guests', hosts', switches' and load generators' work all lands in the same counters.
public struct CPUTime: Sendable, Equatable {
  /// CPU-seconds spent busy (user, nice, system, irq, softirq, steal) and in total, summed over all CPUs.
  public var busy: Double
  public var total: Double

  public init(busy: Double, total: Double) {
    self.busy = busy
    self.total = total
  }

  /// Now, from the first (`cpu`) line of /proc/stat.
  public static func now() throws -> CPUTime {
    guard let text = FileSystem.read("/proc/stat"), let line = text.split(separator: "\n").first,
      let sample = parse(String(line))
    else { throw LabError("cannot read the cpu line of /proc/stat") }
    return sample
  }

  /// Parses `cpu  user nice system idle iowait irq softirq steal guest guest_nice` (clock ticks).
  static func parse(_ line: String, ticksPerSecond: Double = Double(sysconf(Int32(_SC_CLK_TCK)))) -> CPUTime? {
    let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard line.hasPrefix("cpu "), fields.count >= 8 else { return nil }
    // guest time is already inside user; idle and iowait are the only idle states.
    let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    let total = busy + fields[3] + fields[4]
    return CPUTime(busy: busy / ticksPerSecond, total: total / ticksPerSecond)
  }

  public static func - (after: CPUTime, before: CPUTime) -> CPUTime {
    CPUTime(busy: after.busy - before.busy, total: after.total - before.total)
  }
}
