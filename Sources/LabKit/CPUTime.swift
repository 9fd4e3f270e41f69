import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Machine-wide CPU time from `/proc/stat`, as netperf's service demand takes it: every namespace shares one
/// kernel, so the guests', hosts', switches' and load generators' work all lands in the same counters. On a
/// machine shared with other work (builds, a fuzzer), the CPU time of processes outside the lab is counted too,
/// so that it can be taken out again.
public struct CPUTime: Sendable, Equatable {
  /// CPU-seconds spent busy (user, nice, system, irq, softirq) and in total, summed over all CPUs. Steal (time
  /// the hypervisor gave to other virtual machines) is neither the lab's nor anyone's here.
  public var busy: Double
  public var total: Double
  /// CPU-seconds used by processes that are not the lab's (see `ForeignProcesses`), children included.
  public var foreign: Double

  public init(busy: Double, total: Double, foreign: Double = 0) {
    self.busy = busy
    self.total = total
    self.foreign = foreign
  }

  /// The lab's share: busy time less that of processes outside the lab.
  public var lab: Double { busy - foreign }

  /// Now, from the first (`cpu`) line of /proc/stat, and the foreign processes' times when asked for.
  public static func now(foreign: ForeignProcesses? = nil) throws -> CPUTime {
    guard let text = FileSystem.read("/proc/stat"), let line = text.split(separator: "\n").first,
      var sample = parse(String(line))
    else { throw LabError("cannot read the cpu line of /proc/stat") }
    sample.foreign = foreign?.seconds() ?? 0
    return sample
  }

  /// Parses `cpu  user nice system idle iowait irq softirq steal guest guest_nice` (clock ticks).
  static func parse(_ line: String, ticksPerSecond: Double = Double(sysconf(Int32(_SC_CLK_TCK)))) -> CPUTime? {
    let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard line.hasPrefix("cpu "), fields.count >= 8 else { return nil }
    // guest time is already inside user; idle and iowait are the only idle states.
    let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
    let total = busy + fields[3] + fields[4] + fields[7]
    return CPUTime(busy: busy / ticksPerSecond, total: total / ticksPerSecond)
  }

  public static func - (after: CPUTime, before: CPUTime) -> CPUTime {
    CPUTime(busy: after.busy - before.busy, total: after.total - before.total, foreign: after.foreign - before.foreign)
  }
}

/// The processes that are not the lab's, so that their CPU time can be taken out on a shared machine (other
/// engineers' builds, a fuzzer, another lab): every process outside the lab's namespaces and every kernel
/// thread but ksoftirqd (which carries the lab's packets when softirqs pile up; softirq time spent elsewhere
/// is in /proc/stat's softirq column, which is the lab's). This process, the load generator, is the lab's, and
/// so are its servers, switches and guests, all in lab namespaces.
public struct ForeignProcesses: Sendable {
  /// `net:[inode]` of each lab namespace, as /proc/PID/ns/net names them.
  let labNamespaces: Set<String>
  let ownPID: Int32

  public init(labNamespaces names: [String]) {
    labNamespaces = Set(
      names.compactMap { name -> String? in
        var info = stat()
        guard stat("/run/netns/\(name)", &info) == 0 else { return nil }
        return "net:[\(info.st_ino)]"
      })
    ownPID = getpid()
  }

  /// Sum of user + system time of every foreign process and of its reaped children (cutime, cstime), in
  /// seconds. A difference of two sums is the foreign CPU between them, short-lived compiler processes
  /// included: a child that ends in between moves its whole time into its parent's children times, and its
  /// own earlier share drops out with it.
  func seconds() -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var total = 0.0
    for entry in FileSystem.list("/proc") {
      guard let pid = Int32(entry), pid != ownPID, let stat = FileSystem.read("/proc/\(entry)/stat"),
        let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
      else { continue }
      // After the name: state(0) ppid pgrp session tty tpgid flags(6) … utime(11) stime(12) cutime(13) cstime(14).
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 14, let flags = UInt(fields[6]), let user = Double(fields[11]),
        let system = Double(fields[12]), let children = Double(fields[13]), let childrenSystem = Double(fields[14])
      else { continue }
      if flags & 0x0020_0000 != 0 {  // PF_KTHREAD
        if stat[stat.index(after: open)..<close].hasPrefix("ksoftirqd") { continue }
      } else if let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/ns/net"),
        labNamespaces.contains(namespace)
      {
        continue
      }
      total += user + system + children + childrenSystem
    }
    return total / ticks
  }
}
