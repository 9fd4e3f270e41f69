import Foundation
import RoutedCore

/// `watching:` rows: `routed-hook status --json` on the host shows its `routed-hook watch` running and, on a
/// `libvirt: true` host, connected to every libvirt URI (after libvirtd restarted: connected again, `connects`
/// times at least). The daemon reconnects every second, so the row waits up to 10 s for it.
extension ExpectationRunner {
  func watching(host: String, connects: Int) throws -> Outcome {
    guard let hook else { throw LabError("no routed-hook to ask") }
    let libvirt = topology.host(named: host)?.libvirt == true
    let deadline = Date().addingTimeInterval(10)
    var measured = "no status"
    while true {
      let result = try hook.status(host: host)
      let report = result.succeeded ? JSON(tool: result.stdout) : nil
      if let watch = report?["watch"], let pid = watch["pid"]?.int {
        let connections = watch["libvirt"]?.items ?? []
        let up = connections.filter { $0["connected"]?.bool == true }
        let fewest = connections.compactMap { $0["connects"]?.int }.min() ?? 0
        let repairs = (watch["repairs"]?.members ?? []).sorted { $0.key < $1.key }
          .map { "\($0.key) \($0.value.int ?? 0)" }.joined(separator: ", ")
        let links = connections.map {
          "\($0["uri"]?.string ?? "?") \($0["connected"]?.bool == true ? "up" : "down"), "
            + "connected \($0["connects"]?.int ?? 0)×"
        }
        measured =
          "pid \(pid); "
          + (libvirt ? links.joined(separator: "; ") : "without libvirt") + "; repairs: \(repairs.isEmpty ? "none" : repairs)"
        let healthy = !libvirt || (!connections.isEmpty && up.count == connections.count && fewest >= connects)
        if healthy { return Outcome(passed: true, measured: measured) }
      } else if result.succeeded {
        measured = "status shows no routed-hook watch"
      } else {
        measured = result.failureSummary
      }
      if Date() >= deadline { return Outcome(passed: false, measured: measured) }
      usleep(200_000)
    }
  }
}
