import Foundation

/// `up`: builds a topology's namespaces, segments, switches and guests, and undoes it all if any step fails.
public struct LabBuilder: Sendable {
  public let topology: Topology
  public let names: LabNames
  public let hook: HookDriver?
  /// Path of the topology file, copied into the state directory so later commands need not be given it.
  public let sourcePath: String?

  public init(topology: Topology, names: LabNames, hook: HookDriver?, sourcePath: String?) {
    self.topology = topology
    self.names = names
    self.hook = hook
    self.sourcePath = sourcePath
  }

  /// Builds the lab. On failure everything built so far is torn down and the error says which phase failed.
  public func up(clock: PhaseClock) throws {
    try clock.phase("preflight") { try preflight() }
    let journal = Journal(names: names)
    do {
      try build(clock: clock, journal: journal)
    } catch {
      let teardown = LabTeardown(names: names)
      let report = try? teardown.run()
      var message = "up failed: \(error)\neverything built so far was removed"
      if let leftovers = report?.leftovers, !leftovers.isEmpty {
        message += ", except: \(leftovers.joined(separator: "; "))"
      }
      throw LabError(message)
    }
  }

  private func preflight() throws {
    if let hook, !FileManager.default.isExecutableFile(atPath: hook.hookPath) {
      throw LabError(
        "routed-hook not found at \(hook.hookPath): build it, pass --hook PATH, or use --no-hook")
    }
    let foreign = Ownership(stateRoot: names.stateRoot).foreignObjects()
    guard foreign.isEmpty else {
      throw LabError(
        "refusing to build: \(foreign.joined(separator: "; ")). Remove them yourself if they are stale.")
    }
    // An earlier run of the same lab (finished or killed half way) is ours: clear it first.
    if FileSystem.exists(names.journal) {
      let report = try LabTeardown(names: names).run()
      guard report.leftovers.isEmpty else {
        throw LabError(
          "cannot clear the earlier run of lab \(names.lab): \(report.leftovers.joined(separator: "; "))")
      }
    }
    try Journal(names: names).start()
    if let sourcePath, let text = FileSystem.read(sourcePath) {
      try FileSystem.write(text, to: names.topologyCopy)
      let directory = (sourcePath as NSString).deletingLastPathComponent
      try FileSystem.write(
        URL(fileURLWithPath: directory.isEmpty ? "." : directory).path, to: names.sourceRecord)
    }
  }

  private func build(clock: PhaseClock, journal: Journal) throws {
    let plan = BuildPlan(topology: topology, names: names)
    try Interruption.check()
    try clock.phase("namespaces", detail: "\(plan.namespaces.count)") {
      try journal.record(namespaces: plan.namespaces)
      try Command.check(["ip", "-b", "-"], stdin: plan.namespaces.map { "netns add \($0)\n" }.joined())
    }
    try Interruption.check()
    try clock.phase("segment links", detail: "\(plan.segmentLinks.count) veth pairs") {
      if !plan.segmentLinks.isEmpty {
        try Command.check(["ip", "-b", "-"], stdin: plan.segmentLinks.map { $0.batchLine + "\n" }.joined())
      }
    }
    try Interruption.check()
    try clock.phase("configure", detail: "addresses, routes, bridges") {
      try FileSystem.makeDirectory(names.scriptDirectory)
      try Parallel.forEach(topology.nodeNames) { node in
        let path = "\(names.scriptDirectory)/\(node).sh"
        try FileSystem.write(plan.script(for: node), to: path)
        try Command.check(["ip", "netns", "exec", names.namespace(node), "sh", path])
      }
    }
    let ovsHosts = topology.hosts.filter { $0.switchConfig.kind == .ovs }
    try Interruption.check()
    try clock.phase("switches", detail: "\(ovsHosts.count) private OVS") {
      try Parallel.forEach(ovsHosts) { host in
        try OVSDaemons(names: names, host: host, journal: journal).start()
      }
    }
    try Interruption.check()
    try clock.phase("hook files") { try writeHookFiles() }
    let guests = topology.guests.filter(\.autostart)
    try Interruption.check()
    try clock.phase("guests", detail: "\(guests.count) × prepare, start, started") {
      try FileSystem.makeDirectory(names.runningDirectory)
      try GuestLifecycle(topology: topology, names: names, hook: hook).start(guests)
    }
    try Interruption.check()
  }

  /// Each host's routed-hook config and state directory, and each guest's domain XML for reference.
  func writeHookFiles() throws {
    for host in topology.hosts {
      try FileSystem.makeDirectory(names.hookStateDirectory(host.name))
      switch host.hook {
      case .inline(let text):
        try FileSystem.write(text, to: names.hookConfig(host.name))
      case .file(let path):
        let resolved = path.hasPrefix("/") ? path : "\(topology.baseDirectory)/\(path)"
        guard let text = FileSystem.read(resolved) else {
          throw LabError("cannot read hook config \(resolved)")
        }
        try FileSystem.write(text, to: names.hookConfig(host.name))
      case nil:
        break
      }
    }
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    for guest in topology.guests {
      try FileSystem.write(lifecycle.xml(guest), to: names.domainXML(guest.name))
    }
  }
}
