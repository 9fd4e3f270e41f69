import HookRuntime
import RoutedCore
import RoutedKernel

/// The Prometheus families the daemon writes for node-exporter's textfile collector, named `routed_hook_*` with
/// units in the names (`_seconds`, `_total`) as Felix and kube-router name theirs.
final class WatchMetrics {
  let settings: Settings
  let config: HostConfig
  /// Doctor's last findings (it reads the whole host, so it runs every few minutes, not at every publish).
  private var findings: [Finding]?
  private var doctorError: String?

  init(settings: Settings, config: HostConfig) {
    self.settings = settings
    self.config = config
  }

  func families(status: WatchStatus, runDoctor: Bool) -> [MetricFamily] {
    if runDoctor { refreshDoctor() }
    var families: [MetricFamily] = []
    let report = try? GuestRouting(settings: settings).status(routeProtocol: config.routeProtocol)
    families.append(
      MetricFamily(
        "routed_hook_guests_managed", .gauge, help: "Domains routed-hook routes on this host (records).",
        samples: [.init([], Double(report?.domains.count ?? 0))]))
    var present: [String: Int] = [:]
    var missing: [String: Int] = [:]
    for domain in report?.domains ?? [] {
      for entry in domain.objects {
        let kind = String(entry.object.split(separator: " ").first ?? "object")
        if entry.present { present[kind, default: 0] += 1 } else { missing[kind, default: 0] += 1 }
      }
    }
    let kinds = Set(present.keys).union(missing.keys).sorted()
    families.append(
      MetricFamily(
        "routed_hook_objects_present", .gauge, help: "Recorded per-guest objects found in the kernel, by kind.",
        samples: kinds.map { .init([("kind", $0)], Double(present[$0] ?? 0)) }))
    families.append(
      MetricFamily(
        "routed_hook_objects_missing", .gauge,
        help: "Recorded per-guest objects missing from the kernel, by kind.",
        samples: kinds.map { .init([("kind", $0)], Double(missing[$0] ?? 0)) }))
    families.append(
      MetricFamily(
        "routed_hook_objects_orphaned", .gauge, help: "Owned per-guest objects in the kernel that no record explains.",
        samples: [.init([], Double(report?.orphans.count ?? 0))]))
    families.append(
      MetricFamily(
        "routed_hook_repairs_total", .counter,
        help: "Repairs that changed something, by kind: drift (from kernel events), reconcile (against libvirt), handover.",
        samples: ["drift", "reconcile", "handover"].map { .init([("kind", $0)], Double(status.repairs[$0] ?? 0)) }))
    families.append(
      MetricFamily(
        "routed_hook_repaired_objects_total", .counter, help: "Objects put back by drift repairs, by object kind.",
        samples: status.repairedObjects.sorted { $0.key < $1.key }.map { .init([("kind", $0.key)], Double($0.value)) }))
    families.append(
      MetricFamily(
        "routed_hook_drift_checks_total", .counter,
        help: "Bursts of kernel events checked against the records (one check per burst, however long).",
        samples: [.init([("result", "repaired")], Double(status.checks - status.checksClean)),
          .init([("result", "clean")], Double(status.checksClean))]))
    if let last = status.lastRepair {
      families.append(
        MetricFamily(
          "routed_hook_last_repair_duration_seconds", .gauge,
          help: "From the first kernel event of the last repaired burst to the end of its repair.",
          samples: [.init([("kind", last.kind)], last.latencySeconds)]))
    }
    if let verified = status.lastVerified {
      families.append(
        MetricFamily(
          "routed_hook_last_reconcile_success_timestamp_seconds", .gauge,
          help: "When the kernel was last checked against the records (and repaired if needed) without error.",
          samples: [.init([], verified)]))
    }
    families.append(
      MetricFamily(
        "routed_hook_libvirt_connected", .gauge, help: "1 while the daemon holds an event connection to this URI.",
        samples: status.libvirt.map { .init([("uri", $0.uri)], $0.connected ? 1 : 0) }))
    families.append(
      MetricFamily(
        "routed_hook_migration_handovers_pending", .gauge,
        help: "Incoming migrations waiting for their resume, or in their moved window.",
        samples: [.init([], Double(status.pendingHandovers.count))]))
    families.append(
      MetricFamily(
        "routed_hook_watch_start_time_seconds", .gauge, help: "Unix time the watch daemon started.",
        samples: [.init([], status.startedAt)]))
    families.append(
      MetricFamily(
        "routed_hook_hook_calls_total", .counter,
        help: "libvirt hook calls for routed guests (and every failed call) since the state directory was made (each boot), by kind, operation and outcome.",
        samples: HookCallCounters.read(stateDirectory: settings.stateDirectory).map {
          .init([("kind", $0.kind.rawValue), ("op", $0.operation), ("outcome", $0.outcome.label)], Double($0.calls))
        }))
    if let findings {
      var counts: [String: (Finding.Severity, Int)] = [:]
      for finding in findings { counts[finding.id, default: (finding.severity, 0)].1 += 1 }
      families.append(
        MetricFamily(
          "routed_hook_doctor_findings", .gauge, help: "routed-hook doctor's findings on this host, by check.",
          samples: counts.sorted { $0.key < $1.key }.map {
            .init([("check", $0.key), ("severity", $0.value.0.rawValue)], Double($0.value.1))
          }))
    }
    families.append(
      MetricFamily(
        "routed_hook_doctor_up", .gauge, help: "1 when the last doctor run could read the host.",
        samples: [.init([], findings == nil ? 0 : 1)]))
    return families
  }

  private func refreshDoctor() {
    do {
      let capture = SnapshotCapture(settings: settings, ovsDatabase: nil, routeProtocol: config.routeProtocol)
      findings = Doctor.findings(try capture.capture(), config: config)
      doctorError = nil
    } catch {
      findings = nil
      doctorError = "\(error)"
    }
  }
}
