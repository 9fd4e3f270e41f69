#if canImport(Glibc)
  import Glibc
#endif
import Foundation
import RoutedCore

/// `routed-hook watch` in one host's namespace, for hosts with `watch: true`: started by `up` once the host's
/// guests run (as systemd starts it on a real host), with the hook's environment (config, records), libvirt's
/// URIs on a `libvirt: true` host and `--no-libvirt` elsewhere (where the lab plays libvirt). Its own session,
/// so it outlives `routed-lab up`; recorded in the journal, and `down` also finds it by the lab directory on
/// its command line.
struct WatchProcess {
  let names: LabNames
  let host: Host
  let hook: HookDriver
  let journal: Journal

  var directory: String { "\(names.hostDirectory(host.name))/watch" }
  var metrics: String { "\(directory)/routed-hook.prom" }
  var log: String { "\(directory)/watch.log" }
  var statusFile: String { "\(names.hookStateDirectory(host.name))/watch.status" }

  var arguments: [String] {
    var arguments = ["watch", "--metrics", metrics, "--metrics-interval", "5"]
    if host.libvirt {
      arguments += ["lxc", "qemu"].flatMap { ["--connect", names.libvirtURI(host.name, driver: $0)] }
    } else {
      arguments.append("--no-libvirt")
    }
    return arguments
  }

  /// Starts the daemon and waits until it has written its status (it has checked the kernel once by then).
  func start() throws {
    try FileSystem.makeDirectory(directory)
    if let running = process { throw LabError("routed-hook watch already runs on \(host.name) (pid \(running.pid))") }
    let argv = hook.argv(host: host.name, arguments: arguments).map(Self.quoted).joined(separator: " ")
    // setsid: not the lab's process group, so a Ctrl-C of `routed-lab up` does not reach it.
    let shell = "setsid \(argv) </dev/null >>\(Self.quoted(log)) 2>&1 & echo $!"
    let output = try Command.check(["sh", "-c", shell])
    guard let pid = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)),
      let record = ProcessRecord.current(pid: pid, name: "routed-hook")
    else { throw LabError("routed-hook watch on \(host.name) did not start: \(FileSystem.read(log) ?? "")") }
    try journal.record(process: record)
    for _ in 0..<1000 {
      if statusPID == pid { return }
      guard record.isAlive else { break }
      usleep(10_000)
    }
    throw LabError("routed-hook watch on \(host.name) wrote no status: \(FileSystem.read(log)?.suffix(400) ?? "")")
  }

  /// SIGKILL: the daemon dies as in a crash (systemd would restart it).
  func kill() throws {
    guard let process else { throw LabError("no routed-hook watch runs on \(host.name)") }
    Glibc.kill(process.pid, SIGKILL)
    for _ in 0..<400 where process.isAlive { usleep(5000) }
    if process.isAlive { throw LabError("routed-hook watch on \(host.name) survived SIGKILL") }
  }

  /// The pid in the daemon's status file.
  var statusPID: Int32? {
    guard let text = FileSystem.read(statusFile), let pid = JSON(tool: text)?["pid"]?.int else { return nil }
    return Int32(pid)
  }

  /// The running daemon: the status file's pid, if that process runs routed-hook watch for this host.
  var process: ProcessRecord? {
    guard let pid = statusPID, let commandLine = FileSystem.read("/proc/\(pid)/cmdline"),
      commandLine.contains(directory), let record = ProcessRecord.current(pid: pid, name: "routed-hook"),
      record.isAlive
    else { return nil }
    return record
  }

  /// CPU seconds (user + system) the running daemon has used.
  var cpuSeconds: Double? {
    guard let pid = process?.pid, let text = FileSystem.read("/proc/\(pid)/stat"),
      let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  static func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

  /// Every routed-hook watch of this lab, by its command line naming the lab directory (for `down`).
  static func processesNamingLabDirectory(names: LabNames) -> [ProcessRecord] {
    FileSystem.list("/proc").compactMap { entry -> ProcessRecord? in
      guard let pid = Int32(entry),
        FileSystem.read("/proc/\(entry)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) == "routed-hook",
        let commandLine = FileSystem.read("/proc/\(entry)/cmdline"),
        commandLine.contains("\0watch\0"), commandLine.contains(names.labDirectory + "/")
      else { return nil }
      return ProcessRecord.current(pid: pid, name: "routed-hook")
    }
  }
}
