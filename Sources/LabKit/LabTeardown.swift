#if canImport(Glibc)
  import Glibc
#endif

/// `down`: removes everything a lab made, found through its journal and pid files, and nothing else.
public struct LabTeardown: Sendable {
  public let names: LabNames

  public init(names: LabNames) { self.names = names }

  /// What `down` removed, and anything it could not.
  public struct Report: Sendable {
    public var namespaces: [String] = []
    public var processes: [ProcessRecord] = []
    public var rootLinks: [String] = []
    public var leftovers: [String] = []
  }

  /// Ends recorded processes, deletes the lab's namespaces (and with them every link, route and nft table
  /// inside), removes stray root links carrying the lab's altname, then the state directory.
  public func run(clock: PhaseClock = PhaseClock()) throws -> Report {
    var report = Report()
    let journal = Journal(names: names)
    clock.phase("domains") { LibvirtTeardown(names: names).destroyDomains() }
    clock.phase("processes") {
      var records = journal.processes
      let found =
        OVSDaemons.pidfileProcesses(names: names) + OVSDaemons.processesNamingLabDirectory(names: names)
        + BirdDaemon.processesNamingLabDirectory(names: names)
        + WatchProcess.processesNamingLabDirectory(names: names)
        + LibvirtTeardown(names: names).processes(namespaces: journal.namespaces)
      for record in found where !records.contains(record) {
        records.append(record)
      }
      let alive = records.filter(\.isAlive)
      // Signal all first and wait once: the daemons shut down side by side.
      try? Parallel.forEach(alive) { record in record.terminate() }
      report.processes = alive
      report.leftovers += alive.filter(\.isAlive).map { "process \($0.name) \($0.pid) survived SIGKILL" }
    }
    try clock.phase("namespaces") {
      let existing = Set(LinkInventory.namespaces())
      var targets = journal.namespaces.filter(existing.contains)
      // A namespace with the lab's name stem but no journal entry is removed only with proof: a lab altname.
      for namespace in existing.sorted()
      where namespace.hasPrefix(names.namespaceStem) && !targets.contains(namespace) {
        if Ownership.carriesAltname(namespace: namespace, names: names) {
          targets.append(namespace)
        } else {
          report.leftovers.append("namespace \(namespace) was not recorded by lab \(names.lab); left alone")
        }
      }
      if !targets.isEmpty {
        let result = try Command.run(
          ["ip", "-force", "-b", "-"], stdin: targets.map { "netns del \($0)\n" }.joined())
        if !result.succeeded { report.leftovers.append(result.failureSummary) }
      }
      report.namespaces = targets
      let remaining = Set(LinkInventory.namespaces())
      report.leftovers += targets.filter(remaining.contains).map { "namespace \($0) could not be deleted" }
    }
    try clock.phase("root links") {
      for link in LinkInventory.links(namespace: nil)
      where link.altnames.contains(where: { $0.hasPrefix(names.altnameStem) }) {
        try Command.check(["ip", "link", "del", link.name])
        report.rootLinks.append(link.name)
      }
    }
    clock.phase("directories") {
      // Mount points made for libvirt's paths; rmdir leaves one that is in use or no longer empty.
      for directory in Set(journal.directories) { rmdir(directory) }
    }
    clock.phase("state") {
      if report.leftovers.isEmpty { FileSystem.remove(names.labDirectory) }
    }
    return report
  }
}
