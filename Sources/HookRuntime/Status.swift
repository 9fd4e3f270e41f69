import FoundationEssentials
import RoutedCore
import RoutedKernel

extension GuestRouting {
  /// `routed-hook status`: every record against the kernel, and the orphans.
  public func status(routeProtocol: UInt8) throws -> StatusReport {
    try StatusReport.read(settings: settings, routeProtocol: routeProtocol, kernel: kernel())
  }
}

/// `routed-hook status`: records against the kernel, plus owned objects that no record explains.
public struct StatusReport: Encodable, Sendable {
  /// Every record, with whether each of its objects is in the kernel now.
  public var domains: [HostSnapshot.RecordedDomain]
  /// Owned per-guest objects in the kernel with no record: leaked by a crash or a hand edit.
  public var orphans: [String]
  /// Guest routes a routing daemon installed for guests on other hosts (BGP): learned from peers. They are
  /// BIRD's, not routed-hook's: reported, never counted as drift, never changed.
  public var learned: [String]
  /// The watch daemon's view while it runs (`routed-hook watch`), else nil.
  public var watch: WatchStatus?

  /// True when every recorded object is present and nothing is orphaned.
  public var isClean: Bool { orphans.isEmpty && domains.allSatisfy { $0.objects.allSatisfy(\.present) } }

  static func read(settings: Settings, routeProtocol: UInt8, kernel: KernelHandle) throws -> StatusReport {
    let records = try RecordStore(directory: settings.stateDirectory).all().sorted {
      $0.domain.name < $1.domain.name
    }
    let recorded = records.flatMap(\.objects)
    let present = try kernel.present(recorded)
    let explained = Set(recorded.map(\.asStored))
    let orphans = try kernel.ownedGuestObjects(routeProtocol: routeProtocol).filter { !explained.contains($0) }
    return StatusReport(
      domains: records.map { record in
        HostSnapshot.RecordedDomain(
          name: record.domain.name, uuid: record.domain.uuid, interfaces: record.interfaces,
          objects: record.objects.map {
            .init(object: PlanText.objectText($0), present: present.contains($0))
          }, preference: record.preference)
      },
      orphans: orphans.map(PlanText.objectText),
      learned: try kernel.learnedRoutes(),
      watch: WatchStatus.read(stateDirectory: settings.stateDirectory))
  }

  public func text() -> String {
    var lines: [String] = []
    if domains.isEmpty { lines.append("no domains recorded") }
    for domain in domains {
      let missing = domain.objects.filter { !$0.present }.count
      let claim = domain.preference.map { $0 == .normal ? "" : " (\($0.rawValue))" } ?? ""
      lines.append("\(domain.name) \(domain.uuid): \(missing == 0 ? "ok" : "\(missing) missing")\(claim)")
      for nic in domain.interfaces {
        lines.append(
          "  nic \(nic.mac) \(nic.addressText) on \(nic.network) (\(nic.bridge)) uplinks: \(nic.uplinks.joined(separator: ", "))"
        )
      }
      for entry in domain.objects {
        lines.append("  \(entry.present ? "present" : "MISSING")  \(entry.object)")
      }
    }
    if !learned.isEmpty {
      lines.append("learned from peers (\(learned.count), the routing daemon's, left alone):")
      lines += learned.map { "  \($0)" }
    }
    if !orphans.isEmpty {
      lines.append("orphans (owned by routed-hook, in no record):")
      lines += orphans.map { "  \($0)" }
    }
    lines.append(watchText)
    return lines.joined(separator: "\n") + "\n"
  }

  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }
}

extension StatusReport {
  /// One paragraph on the watch daemon: whether it runs, libvirt, the last repair, pending handovers.
  var watchText: String {
    guard let watch else { return "watch: not running (drift is repaired only by hooks and reconcile)" }
    var lines = ["watch: running (pid \(watch.pid))"]
    if !watch.libvirtLoaded { lines.append("  libvirt: not loaded, repairing from the records alone") }
    for connection in watch.libvirt {
      lines.append(
        "  libvirt \(connection.uri): \(connection.connected ? "connected" : "down (\(connection.error ?? "?"))")")
    }
    let repairs = watch.repairs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    lines.append("  repairs: \(repairs.isEmpty ? "none" : repairs.joined(separator: ", "))")
    if let last = watch.lastRepair {
      lines.append(
        "  last repair: \(last.kind), \(last.objects.count) objects in \(Int(last.latencySeconds * 1000)) ms (\(last.trigger))"
          + (last.error.map { ", failed: \($0)" } ?? ""))
    }
    for handover in watch.pendingHandovers {
      lines.append("  handover \(handover.name) \(handover.uuid): \(handover.claim)")
    }
    return lines.joined(separator: "\n")
  }
}
