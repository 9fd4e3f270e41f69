/// A topology's `bench:` section: the paths `routed-lab bench` measures and the talk's baseline among them.
///
/// ```yaml
/// bench:
///   baseline: osa-attached          # ratios in the table are to this path (per switch kind)
///   paths:
///     - { name: osa-routed, from: guest11a, to: prod, label: "OSA routed" }
/// ```
/// `from` is the client (a guest), `to` the server (a guest or a machine). A path's switch kind is that of the
/// client's host, so the same name may appear once per kind (`osa-routed` on OVS and on a Linux bridge).
public struct BenchSpec: Sendable, Equatable {
  public struct Path: Sendable, Equatable {
    public var name: String
    public var label: String
    public var from: String
    public var to: String
    public var switchKind: SwitchKind

    /// Unique within a bench: `ovs/osa-routed`.
    public var key: String { "\(switchKind.rawValue)/\(name)" }
  }

  public var baseline: String
  public var paths: [Path]

  public init(baseline: String, paths: [Path]) {
    self.baseline = baseline
    self.paths = paths
  }

  /// The switch kinds in the order their first path appears.
  public var switchKinds: [SwitchKind] {
    paths.reduce(into: [SwitchKind]()) { kinds, path in
      if !kinds.contains(path.switchKind) { kinds.append(path.switchKind) }
    }
  }

  /// The baseline path of a switch kind, else the first kind's.
  public func baselinePath(for kind: SwitchKind) -> Path? {
    paths.first { $0.name == baseline && $0.switchKind == kind } ?? paths.first { $0.name == baseline }
  }

  /// `--quick`'s two paths: the first kind's baseline and the first other path of that kind.
  public var quickPaths: [Path] {
    guard let kind = switchKinds.first, let base = baselinePath(for: kind) else { return Array(paths.prefix(2)) }
    return [base] + paths.filter { $0.switchKind == kind && $0.name != baseline }.prefix(1)
  }

  static func parse(_ field: TopologyField, topology: Topology) throws -> BenchSpec {
    let map = try field.mapping(allowed: ["baseline", "paths"])
    let baselineField = try map.required("baseline")
    let baseline = try baselineField.string()
    var paths: [Path] = []
    for item in try map.required("paths").list() {
      let path = try item.mapping(allowed: ["name", "label", "from", "to"])
      let name = try path.required("name").string()
      let fromField = try path.required("from")
      let from = try fromField.string()
      guard let guest = topology.guest(named: from), let host = topology.host(named: guest.host) else {
        throw fromField.error("'\(from)' is not a guest of this topology (the client runs in a guest)")
      }
      guard guest.autostart else { throw fromField.error("guest '\(from)' is not started by up (autostart: false)") }
      let toField = try path.required("to")
      let to = try toField.string()
      if let server = topology.guest(named: to) {
        guard server.autostart else { throw toField.error("guest '\(to)' is not started by up (autostart: false)") }
      } else if topology.machine(named: to) == nil {
        throw toField.error("'\(to)' is not a guest or machine of this topology")
      }
      guard to != from else { throw toField.error("a path needs two ends; both are '\(from)'") }
      let entry = Path(
        name: name, label: try path["label"]?.string() ?? name, from: from, to: to, switchKind: host.switchConfig.kind)
      guard !paths.contains(where: { $0.key == entry.key }) else {
        throw item.error("path '\(name)' appears twice for switch kind \(entry.switchKind.rawValue)")
      }
      paths.append(entry)
    }
    guard !paths.isEmpty else { throw field.error("bench needs at least one path") }
    guard paths.contains(where: { $0.name == baseline }) else {
      throw baselineField.error("baseline '\(baseline)' is not one of the paths (\(paths.map(\.name).joined(separator: ", ")))")
    }
    return BenchSpec(baseline: baseline, paths: paths)
  }
}
