#if canImport(Glibc)
  import Glibc
#endif

/// CPU time per process from `/proc/<pid>/stat`, so a bench can say what else ran on the machine meanwhile.
struct ProcessLoad {
  /// pid → (command name, utime + stime in seconds).
  var times: [Int32: (String, Double)]

  static func now() -> ProcessLoad {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var times: [Int32: (String, Double)] = [:]
    for entry in FileSystem.list("/proc") {
      guard let pid = Int32(entry), let stat = FileSystem.read("/proc/\(entry)/stat"),
        let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
      else { continue }
      let name = String(stat[stat.index(after: open)..<close])
      // Fields after the name: state is field 3; utime and stime are fields 14 and 15.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
      times[pid] = (name, (user + system) / ticks)
    }
    return ProcessLoad(times: times)
  }

  /// The `count` processes (by command name, summed) that used most CPU between `self` and `later`.
  func busiest(until later: ProcessLoad, count: Int = 8) -> [String] {
    var byName: [String: Double] = [:]
    for (pid, (name, seconds)) in later.times {
      byName[name, default: 0] += seconds - (times[pid]?.1 ?? 0)
    }
    return byName.filter { $0.value >= 0.5 }.sorted { $0.value > $1.value }.prefix(count).map {
      "\($0.key) \(String(format: "%.0f", $0.value)) CPU-s"
    }
  }
}
