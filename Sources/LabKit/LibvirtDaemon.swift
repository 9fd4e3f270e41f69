import Foundation

/// A real libvirtd (with virtlogd) inside one host's namespace, in a private mount namespace whose libvirt and
/// routed-hook system paths are directories of the lab: nothing of the machine's own libvirt is seen or changed.
struct LibvirtDaemon {
  let names: LabNames
  let host: Host
  let topology: Topology
  let journal: Journal
  let hookPath: String

  static let driverDirectory = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver"
  static let tools = ["libvirtd", "virtlogd", "virsh", "unshare", "nsenter"]

  var namespace: String { names.namespace(host.name) }
  var guests: [Guest] { host.guests }

  /// libvirt's drivers this host needs: the QEMU driver only with a QEMU guest, since it refuses to load
  /// without the `libvirt-qemu` user; the network driver only with a libvirt network.
  var drivers: [String] {
    var list: [String] = []
    if guests.contains(where: { $0.domain == .lxc }) { list.append("lxc") }
    if guests.contains(where: { $0.domain == .qemu }) { list.append("qemu") }
    if !host.libvirtNetworks.isEmpty { list.append("network") }
    return list
  }

  /// What must be on the machine before `up`, as one message naming the packages.
  static func preflight(_ topology: Topology) throws {
    let hosts = topology.hosts.filter(\.libvirt)
    guard !hosts.isEmpty else { return }
    var missing = tools.filter { !Self.inPath($0) }
    let qemu = hosts.flatMap(\.guests).contains { $0.domain == .qemu }
    if qemu, !Self.inPath("qemu-system-x86_64") { missing.append("qemu-system-x86_64") }
    if !missing.isEmpty {
      throw LabError(
        "libvirt hosts need \(missing.joined(separator: ", ")): apt-get install libvirt-daemon "
          + "libvirt-daemon-driver-lxc libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 (or scripts/install-deps)"
      )
    }
  }

  private static func inPath(_ tool: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":")
      .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
  }

  // MARK: Start

  /// Writes the private config, installs routed-hook as libvirt's hook, and starts virtlogd and libvirtd.
  func start() throws {
    for (source, target) in names.libvirtMounts(host.name) {
      try FileSystem.makeDirectory(source)
      // libvirt's system paths must exist as mount points; ones the machine lacks are made and recorded.
      if !FileSystem.exists(target) {
        try journal.record(directory: target)
        try FileSystem.makeDirectory(target)
      }
    }
    try FileSystem.makeDirectory("\(names.hostDirectory(host.name))/guests")
    try writeConfig()
    try installHook()
    try FileSystem.makeDirectory(names.libvirtDrivers(host.name))
    for driver in drivers {
      let link = "\(names.libvirtDrivers(host.name))/libvirt_driver_\(driver).so"
      FileSystem.remove(link)
      try FileManager.default.createSymbolicLink(
        atPath: link, withDestinationPath: "\(Self.driverDirectory)/libvirt_driver_\(driver).so")
    }
    let script = "\(names.hostDirectory(host.name))/libvirt-start.sh"
    try FileSystem.write(startScript(), to: script)
    try Command.check(
      ["ip", "netns", "exec", namespace, "unshare", "--mount", "--propagation", "private", "sh", script],
      environment: environment, timeout: 30)
    try recordDaemons()
    try waitForSocket()
  }

  /// The environment libvirtd runs with: its own OVS through `OVS_RUNDIR`, only the drivers it needs.
  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["OVS_RUNDIR"] = names.ovsDirectory(host.name)
    environment["LIBVIRT_DRIVER_DIR"] = names.libvirtDrivers(host.name)
    return environment
  }

  /// The script run in the new mount namespace: cgroups, private paths, then both daemons.
  func startScript() -> String {
    var lines = [
      "set -e",
      "# ip netns exec mounted a fresh /sys without the cgroup hierarchies libvirt's LXC and QEMU drivers use.",
      "awk '$2 ~ \"^/sys/fs/cgroup\" { print $2, $3, $4 }' /proc/1/mounts | while read -r dir type options; do",
      "  case \"$type:$dir\" in",
      "    tmpfs:/sys/fs/cgroup) mount -t tmpfs -o \"$options\" cgroup \"$dir\" ;;",
      "    cgroup2:/sys/fs/cgroup) mount -t cgroup2 -o \"$options\" cgroup2 \"$dir\" ;;",
      "    cgroup:*) mkdir -p \"$dir\" && mount -t cgroup -o \"$options\" cgroup \"$dir\" ;;",
      "  esac",
      "done",
    ]
    // The hybrid layout's cgroup2 "unified" tree is left out: libvirt_lxc cannot recreate it in the container.
    for (source, target) in names.libvirtMounts(host.name) {
      lines.append("mount --bind '\(source)' '\(target)'")
    }
    if drivers.contains("qemu") {
      // libvirt's QEMU driver will not load without the libvirt-qemu user (Debian's libvirt-daemon-system
      // makes it); the lab adds it to private copies of passwd and group instead of to the machine.
      let directory = names.hostDirectory(host.name)
      lines += [
        "if ! grep -q '^libvirt-qemu:' /etc/passwd; then",
        "  id=$(awk -F: '$3 < 60000 { print $3 }' /etc/passwd /etc/group | sort -n | tail -1)",
        "  id=$((id + 1))",
        "  cp /etc/passwd '\(directory)/passwd'",
        "  cp /etc/group '\(directory)/group'",
        "  echo \"libvirt-qemu:x:$id:$id:routed-lab:/var/lib/libvirt:/usr/sbin/nologin\" >>'\(directory)/passwd'",
        "  echo \"libvirt-qemu:x:$id:\" >>'\(directory)/group'",
        "  mount --bind '\(directory)/passwd' /etc/passwd",
        "  mount --bind '\(directory)/group' /etc/group",
        "fi",
      ]
    }
    lines += daemonLines()
    return lines.joined(separator: "\n") + "\n"
  }

  private func daemonLines() -> [String] {
    let log = "\(names.hostDirectory(host.name))/daemons.out"
    return [
      "virtlogd -d -p '\(names.libvirtPidFile(host.name, "virtlogd"))' </dev/null >>'\(log)' 2>&1",
      "libvirtd -d -p '\(names.libvirtPidFile(host.name, "libvirtd"))' -f '\(names.libvirtEtc(host.name))/libvirtd.conf' </dev/null >>'\(log)' 2>&1",
    ]
  }

  private func writeConfig() throws {
    let etc = names.libvirtEtc(host.name)
    // util.hook and util.command at debug level: every hook run shows in the log, with its failures.
    try FileSystem.write(
      """
      log_filters="1:util.hook 1:util.command 3:*"
      log_outputs="1:file:/var/log/libvirt/libvirtd.log"

      """, to: "\(etc)/libvirtd.conf")
    // QEMU as root without relabelling or per-VM /dev namespaces: the lab has no other users to guard against.
    try FileSystem.write(
      """
      user = "root"
      group = "root"
      dynamic_ownership = 0
      remember_owner = 0
      security_driver = "none"
      namespaces = [ ]
      cgroup_controllers = [ ]

      """, to: "\(etc)/qemu.conf")
  }

  /// What `hooks/install` does, into the private /etc/libvirt: one binary, linked into every hook directory.
  private func installHook() throws {
    let etc = names.libvirtEtc(host.name)
    for kind in ["qemu.d", "lxc.d", "network.d"] {
      let directory = "\(etc)/hooks/\(kind)"
      try FileSystem.makeDirectory(directory)
      FileSystem.remove("\(directory)/routed-hook")
      try FileManager.default.createSymbolicLink(
        atPath: "\(directory)/routed-hook", withDestinationPath: hookPath)
    }
    // libvirt clears the hook's environment, so it reads its config from the default path.
    if let config = FileSystem.read(names.hookConfig(host.name)) {
      try FileSystem.write(config, to: "\(etc)/routed-hook.yaml")
    }
  }

  private func recordDaemons() throws {
    for daemon in ["virtlogd", "libvirtd"] {
      guard let text = FileSystem.read(names.libvirtPidFile(host.name, daemon)),
        let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
        let record = ProcessRecord.current(pid: pid, name: daemon)
      else {
        throw LabError("\(daemon) on \(host.name) did not start: \(tail(names.libvirtdLog(host.name)))")
      }
      try journal.record(process: record)
    }
  }

  /// Until libvirtd answers on its socket; its QEMU driver first probes QEMU's capabilities (8 s under TCG).
  private func waitForSocket() throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if FileSystem.exists(names.libvirtSocket(host.name)),
        (try? virsh(networkDriver, ["version"], timeout: 60))?.succeeded == true
      {
        return
      }
      usleep(50_000)
    }
    throw LabError(
      "libvirtd on \(host.name) did not answer within 60 s: \(tail(names.libvirtdLog(host.name)))")
  }

  private func tail(_ path: String) -> String {
    let lines = (FileSystem.read(path) ?? "").split(separator: "\n").suffix(5)
    return lines.isEmpty ? "(no log at \(path))" : lines.joined(separator: "\n")
  }

  // MARK: Restart

  /// libvirtd SIGKILLed and started again in the same mount namespace (virtlogd's), as after a crash: the
  /// domains keep running and libvirtd reconnects to them, calling the hooks' `reconnect`.
  func restart() throws {
    guard let libvirtd = daemon("libvirtd"), let virtlogd = daemon("virtlogd") else {
      throw LabError("libvirtd or virtlogd of \(host.name) is not running")
    }
    kill(libvirtd.pid, SIGKILL)
    for _ in 0..<100 where libvirtd.isAlive { usleep(20_000) }
    FileSystem.remove(names.libvirtPidFile(host.name, "libvirtd"))
    FileSystem.remove(names.libvirtSocket(host.name))
    let line = daemonLines()[1]
    try Command.check(
      ["nsenter", "--target", "\(virtlogd.pid)", "--mount", "--net", "sh", "-c", line],
      environment: environment,
      timeout: 30)
    try recordDaemons()
    try waitForSocket()
  }

  /// A daemon of this host from its pid file, if it is alive.
  func daemon(_ name: String) -> ProcessRecord? {
    guard let text = FileSystem.read(names.libvirtPidFile(host.name, name)),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      let record = ProcessRecord.current(pid: pid, name: name), record.isAlive
    else { return nil }
    return record
  }

  // MARK: virsh

  /// `virsh` on this host's libvirtd for a driver (lxc, qemu), through the socket in the lab's state directory.
  func virsh(_ driver: String, _ arguments: [String], stdin: String? = nil, timeout: Double = 60) throws
    -> CommandResult
  {
    try Command.run(
      ["virsh", "-q", "-c", names.libvirtURI(host.name, driver: driver)] + arguments, stdin: stdin,
      timeout: timeout)
  }

  /// Like `virsh`, but a failure is an error naming the host.
  @discardableResult
  func virshCheck(_ driver: String, _ arguments: [String]) throws -> String {
    let result = try virsh(driver, arguments)
    guard result.succeeded else { throw LabError("on \(host.name): \(result.failureSummary)") }
    return result.stdout
  }

  /// The driver a connection needs for the host's networks: any one the daemon runs.
  var networkDriver: String { drivers.first { $0 != "network" } ?? "lxc" }
}
