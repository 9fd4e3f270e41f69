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
    try clock.phase("preflight") {
      try LibvirtDaemon.preflight(topology)
      try preflight()
    }
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
    // br_netfilter registers its sysctls in every namespace once loaded; without it there is nothing to set.
    if let host = topology.hosts.first(where: { $0.switchConfig.bridgeNetfilter == true }),
      !FileSystem.exists("/proc/sys/net/bridge")
    {
      throw LabError(
        "\(host.name): bridgeNetfilter needs br_netfilter, which is not loaded: modprobe br_netfilter "
          + "(scripts/install-deps does, keeping the root namespace's bridge-nf-call-* at 0)")
    }
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
    if let override = topology.switchOverride {
      try FileSystem.write(override.description, to: names.switchOverrideRecord)
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
      try Parallel.forEach(topology.builtNodeNames) { node in
        let path = "\(names.scriptDirectory)/\(node).sh"
        try FileSystem.write(plan.script(for: node), to: path)
        try Command.check(["ip", "netns", "exec", names.namespace(node), "sh", path])
      }
      // Read back: a run meant to prove guests on a Linux bridge with bridge netfilter on must not pass with it off.
      for host in topology.hosts where host.switchConfig.bridgeNetfilter == true {
        let value = try Command.check(
          [
            "ip", "netns", "exec", names.namespace(host.name), "sysctl", "-n",
            "net.bridge.bridge-nf-call-iptables",
          ])
        guard value.split(separator: "\n").first == "1" else {
          throw LabError(
            "\(host.name): net.bridge.bridge-nf-call-iptables is \(value), not 1 as bridgeNetfilter asks")
        }
      }
    }
    let neighbours = plan.noARPNeighbourLines { node, interface in
      LinkInventory.links(namespace: names.namespace(node)).first { $0.name == interface }?.mac
    }
    if !neighbours.isEmpty {
      try clock.phase("layer-3 links", detail: "permanent neighbours, no ARP") {
        try Parallel.forEach(Array(neighbours.keys)) { node in
          try Command.check(
            ["ip", "-n", names.namespace(node), "-b", "-"],
            stdin: neighbours[node]!.joined(separator: "\n") + "\n")
        }
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
    if topology.hosts.contains(where: \.libvirt) {
      guard let hook else {
        throw LabError("libvirt hosts run routed-hook as libvirt's hook: --no-hook does not apply")
      }
      try Interruption.check()
      try LibvirtGuests(topology: topology, names: names, hookPath: hook.hookPath).bringUp(clock: clock)
    }
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    // A libvirt host's networks were started by its libvirtd (net-start runs their hooks).
    let networks = topology.hosts.reduce(0) {
      $0 + ($1.hook == nil || $1.libvirt ? 0 : $1.libvirtNetworks.count)
    }
    if networks > 0, hook != nil {
      try Interruption.check()
      try clock.phase("libvirt networks", detail: "\(networks) × network start, started") {
        try lifecycle.startNetworks()
      }
    }
    let guests = topology.guests.filter(\.autostart)
    try Interruption.check()
    try clock.phase("guests", detail: "\(guests.count) × prepare, start, started") {
      try FileSystem.makeDirectory(names.runningDirectory)
      try lifecycle.start(guests)
    }
    let birdHosts = topology.hosts.filter { $0.bgp != nil }
    if !birdHosts.isEmpty {
      guard let hook else { throw LabError("BGP hosts run BIRD with routed-hook's bird-config: --no-hook does not apply") }
      try Interruption.check()
      // After the guests: BIRD then learns every guest route in its first scan.
      try clock.phase("bird", detail: "\(birdHosts.count) × routed-hook bird-config, bird") {
        try Parallel.forEach(birdHosts) { host in
          try BirdDaemon(names: names, host: host.name, journal: journal).start(routedHook: hook.hookPath)
        }
      }
    }
    let setups =
      topology.hosts.map { ($0.name, $0.setup) } + topology.machines.map { ($0.name, $0.setup) }
      + guests.map { ($0.name, $0.setup) }
    let nodes = setups.filter { !$0.1.isEmpty }
    if !nodes.isEmpty {
      try Interruption.check()
      try clock.phase(
        "setup", detail: "by hand, bypassing routed-hook, on \(nodes.map(\.0).joined(separator: ", "))"
      ) {
        for (node, commands) in nodes {
          for command in commands {
            // OVS_RUNDIR points plain `ovs-vsctl` at the host's private OVS.
            var environment = ProcessInfo.processInfo.environment
            environment["OVS_RUNDIR"] = names.ovsDirectory(node)
            let result = try Command.run(
              ["ip", "netns", "exec", names.namespace(node), "sh", "-c", command], environment: environment)
            guard result.succeeded else { throw LabError("setup on \(node): \(result.failureSummary)") }
          }
        }
      }
    }
    let watchHosts = topology.hosts.filter(\.watch)
    if !watchHosts.isEmpty {
      guard let hook else { throw LabError("watch: true runs routed-hook watch: --no-hook does not apply") }
      try Interruption.check()
      // Last, as systemd starts it on a host whose guests run: it checks the kernel against the records first.
      try clock.phase("watch", detail: "\(watchHosts.count) × routed-hook watch") {
        try Parallel.forEach(watchHosts) { host in
          try WatchProcess(names: names, host: host, hook: hook, journal: journal).start()
        }
      }
    }
    try Interruption.check()
  }

  /// Each host's routed-hook config and state directory, and each guest's domain XML for reference.
  func writeHookFiles() throws {
    for host in topology.hosts {
      try FileSystem.makeDirectory(names.hookStateDirectory(host.name))
      if let hook = host.hook { try write(hook, to: names.hookConfig(host.name)) }
      if let intent = host.intent { try write(intent, to: names.intentConfig(host.name)) }
    }
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    for guest in topology.guests {
      try FileSystem.write(lifecycle.xml(guest), to: names.domainXML(guest.name))
    }
  }

  /// Writes a routed-hook config from the topology (inline text, or a file beside it) to `path`.
  func write(_ source: HookConfigSource, to path: String) throws {
    switch source {
    case .inline(let text):
      try FileSystem.write(text, to: path)
    case .file(let file):
      let resolved = file.hasPrefix("/") ? file : "\(topology.baseDirectory)/\(file)"
      guard let text = FileSystem.read(resolved) else {
        throw LabError("cannot read hook config \(resolved)")
      }
      try FileSystem.write(text, to: path)
    }
  }
}
