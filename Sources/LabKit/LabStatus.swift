import RoutedCore

/// `status`: what the running lab consists of right now, read with `ip -j` and `routed-hook status --json`.
public struct LabStatus: Sendable {
  public let topology: Topology
  public let names: LabNames
  public let hook: HookDriver?
  /// Print routed-hook's status JSON whole instead of one line per domain.
  public let verbose: Bool

  public init(topology: Topology, names: LabNames, hook: HookDriver?, verbose: Bool = false) {
    self.topology = topology
    self.names = names
    self.hook = hook
    self.verbose = verbose
  }

  /// A text report: one block per node with its links and addresses, guests' state, and hook status per host.
  public func render() -> String {
    let existing = Set(LinkInventory.namespaces())
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    var lines = ["lab \(topology.lab) (state in \(names.labDirectory))"]
    for node in topology.nodeNames {
      let namespace = names.namespace(node)
      if let guest = topology.guest(named: node), let domain = guest.domain, !existing.contains(namespace) {
        // A VM has no namespace on the host, and a container has one only once it ran.
        let state = lifecycle.isRunning(node) ? "running" : "not running"
        lines.append("guest \(node): libvirt \(domain.rawValue) domain on \(guest.host), \(state)")
        continue
      }
      guard existing.contains(namespace) else {
        lines.append("\(kind(of: node)) \(node): namespace \(namespace) missing")
        continue
      }
      var header = "\(kind(of: node)) \(node) [\(namespace)]"
      if let guest = topology.guest(named: node) {
        header += lifecycle.isRunning(node) ? " running" : " stopped"
        let placed = lifecycle.placed(guest)
        if placed.host != guest.host { header += " on \(placed.host) (\(placed.tap)), migrated" }
      }
      lines.append(header)
      for link in addresses(namespace: namespace) { lines.append("  \(link)") }
    }
    for host in topology.hosts where host.hook != nil {
      lines.append("routed-hook status \(host.name):")
      guard let hook else {
        lines.append("  (no hook)")
        continue
      }
      do {
        let result = try hook.status(host: host.name)
        guard result.succeeded else {
          lines.append("  \(result.failureSummary)")
          continue
        }
        let summary = verbose ? nil : Self.summarize(hookStatus: result.stdout)
        lines += (summary ?? result.stdout.split(separator: "\n").map(String.init)).map { "  \($0)" }
      } catch {
        lines.append("  \(error)")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// One line per domain (addresses, objects present of recorded) and the orphan count, when the output
  /// has routed-hook's `domains`/`orphans` shape; nil otherwise, so the raw text is shown instead.
  static func summarize(hookStatus text: String) -> [String]? {
    guard let root = JSON(tool: text), let domains = root["domains"]?.array else { return nil }
    var lines = domains.map { domain -> String in
      let name = domain["name"]?.string ?? "?"
      let addresses = (domain["interfaces"]?.items ?? []).compactMap { $0["address"]?.string }
      let objects = domain["objects"]?.items ?? []
      let present = objects.filter { $0["present"] == .bool(true) }.count
      return "\(name) \(addresses.joined(separator: ",")): \(present)/\(objects.count) objects present"
    }
    if domains.isEmpty { lines.append("no domains") }
    lines.append("orphans: \(root["orphans"]?.items.count ?? 0)")
    return lines
  }

  private func kind(of node: String) -> String {
    if topology.segment(named: node) != nil { return "segment" }
    if topology.host(named: node) != nil { return "host" }
    if topology.guest(named: node) != nil { return "guest" }
    return "machine"
  }

  /// `name state mtu addresses` for each link but loopback.
  private func addresses(namespace: String) -> [String] {
    guard let result = try? Command.run(["ip", "-n", namespace, "-j", "addr", "show"], timeout: 10),
      result.succeeded
    else { return [] }
    return (JSON(tool: result.stdout)?.items ?? []).compactMap { link in
      guard let name = link["ifname"]?.string, name != "lo" else { return nil }
      let state = link["operstate"]?.string ?? "?"
      let mtu = link["mtu"]?.int ?? 0
      let addresses = (link["addr_info"]?.items ?? []).compactMap { info -> String? in
        guard let local = info["local"]?.string, let prefix = info["prefixlen"]?.int else { return nil }
        return "\(local)/\(prefix)"
      }
      let master = link["master"]?.string.map { " master \($0)" } ?? ""
      return "\(name) \(state) mtu \(mtu)\(master) \(addresses.joined(separator: " "))"
        .trimmingCharacters(in: .whitespaces)
    }
  }
}
