/// `status`: what the running lab consists of right now, read with `ip -j` and `routed-hook status --json`.
public struct StatusReport: Sendable {
  public let topology: Topology
  public let names: LabNames
  public let hook: HookDriver?

  public init(topology: Topology, names: LabNames, hook: HookDriver?) {
    self.topology = topology
    self.names = names
    self.hook = hook
  }

  /// A text report: one block per node with its links and addresses, guests' state, and hook status per host.
  public func render() -> String {
    let existing = Set(LinkInventory.namespaces())
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    var lines = ["lab \(topology.lab) (state in \(names.labDirectory))"]
    for node in topology.nodeNames {
      let namespace = names.namespace(node)
      guard existing.contains(namespace) else {
        lines.append("\(kind(of: node)) \(node): namespace \(namespace) missing")
        continue
      }
      var header = "\(kind(of: node)) \(node) [\(namespace)]"
      if topology.guest(named: node) != nil { header += lifecycle.isRunning(node) ? " running" : " stopped" }
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
        let text = result.succeeded ? result.stdout : result.failureSummary
        lines += text.split(separator: "\n").map { "  \($0)" }
      } catch {
        lines.append("  \(error)")
      }
    }
    return lines.joined(separator: "\n")
  }

  private func kind(of node: String) -> String {
    if topology.segment(named: node) != nil { return "segment" }
    if topology.host(named: node) != nil { return "host" }
    if topology.guest(named: node) != nil { return "guest" }
    return "machine"
  }

  /// `name state mtu addresses` for each link but loopback.
  private func addresses(namespace: String) -> [String] {
    guard let result = try? Command.run(["ip", "-n", namespace, "-j", "addr", "show"], timeout: 10), result.succeeded
    else { return [] }
    return JSON.array(result.stdout).compactMap { link in
      guard let name = link["ifname"] as? String, name != "lo" else { return nil }
      let state = link["operstate"] as? String ?? "?"
      let mtu = link["mtu"] as? Int ?? 0
      let addresses = (link["addr_info"] as? [[String: Any]] ?? []).compactMap { info -> String? in
        guard let local = info["local"] as? String, let prefix = info["prefixlen"] as? Int else { return nil }
        return "\(local)/\(prefix)"
      }
      let master = (link["master"] as? String).map { " master \($0)" } ?? ""
      return "\(name) \(state) mtu \(mtu)\(master) \(addresses.joined(separator: " "))"
        .trimmingCharacters(in: .whitespaces)
    }
  }
}
