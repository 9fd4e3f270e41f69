/// A private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace datapath) inside one host's namespace.
struct OVSDaemons {
  let names: LabNames
  let host: Host
  let journal: Journal

  static let schema = "/usr/share/openvswitch/vswitch.ovsschema"

  var directory: String { names.ovsDirectory(host.name) }
  var socket: String { names.ovsSocket(host.name) }
  var namespace: String { names.namespace(host.name) }

  /// `ovs-vsctl` bound to this host's private database; never the machine's default one.
  func vsctl(_ arguments: [String]) -> [String] {
    ["ovs-vsctl", "--db=unix:\(socket)", "--timeout=10"] + arguments
  }

  /// Creates the database, starts both daemons detached in the namespace and adds the bridge.
  func start() throws {
    try FileSystem.makeDirectory(directory)
    FileSystem.remove("\(directory)/conf.db")
    try Command.check(["ovsdb-tool", "create", "\(directory)/conf.db", Self.schema])
    try daemon(
      "ovsdb-server",
      ["\(directory)/conf.db", "--remote=punix:\(socket)"])
    try daemon("ovs-vswitchd", ["unix:\(socket)"])
    let bridge = host.switchConfig.bridge
    try Command.check(
      vsctl([
        "--", "init", "--", "add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=netdev",
        "--", "set", "interface", bridge, "mtu_request=\(host.switchConfig.mtu)",
      ]))
    // The bridge's internal port and the datapath's tap are links the lab caused, so they get altnames too.
    let batch = [bridge, "ovs-netdev"].map { link in
      "link property add dev \(link) altname \(names.altname(node: host.name, interface: link))"
    }
    try Command.check(["ip", "-n", namespace, "-b", "-"], stdin: batch.joined(separator: "\n") + "\n")
  }

  private func daemon(_ program: String, _ arguments: [String]) throws {
    let pidfile = "\(directory)/\(program).pid"
    let argv =
      ["ip", "netns", "exec", namespace, program] + arguments + [
        "--pidfile=\(pidfile)", "--unixctl=\(directory)/\(program).ctl",
        "--log-file=\(directory)/\(program).log",
        "-vconsole:off", "--detach", "--no-chdir",
      ]
    try Command.check(argv, timeout: 20)
    guard let text = FileSystem.read(pidfile),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      let record = ProcessRecord.current(pid: pid, name: program)
    else { throw LabError("\(program) for \(host.name) started but left no live pid in \(pidfile)") }
    try journal.record(process: record)
  }

  /// OVS daemons whose command line names this lab's state directory: they were started by the lab even when
  /// its journal and pid files are gone, since nothing else uses that directory.
  static func processesNamingLabDirectory(names: LabNames) -> [ProcessRecord] {
    FileSystem.list("/proc").compactMap { entry -> ProcessRecord? in
      guard let pid = Int32(entry),
        let comm = FileSystem.read("/proc/\(entry)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines),
        ["ovsdb-server", "ovs-vswitchd"].contains(comm),
        let commandLine = FileSystem.read("/proc/\(entry)/cmdline"),
        commandLine.contains(names.labDirectory + "/")
      else { return nil }
      return ProcessRecord.current(pid: pid, name: comm)
    }
  }

  /// Processes named by pid files in a lab's OVS directories that were started with that directory on their
  /// command line: how `down` finds daemons whose start a killed `up` never got to record.
  static func pidfileProcesses(names: LabNames) -> [ProcessRecord] {
    FileSystem.list(names.labDirectory).flatMap { host -> [ProcessRecord] in
      let directory = names.ovsDirectory(host)
      return ["ovsdb-server", "ovs-vswitchd"].compactMap { program in
        guard let text = FileSystem.read("\(directory)/\(program).pid"),
          let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
          let commandLine = FileSystem.read("/proc/\(pid)/cmdline"), commandLine.contains(directory)
        else { return nil }
        return ProcessRecord.current(pid: pid, name: program)
      }
    }
  }
}
