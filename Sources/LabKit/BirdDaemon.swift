#if canImport(Glibc)
  import Glibc
#endif
import Foundation

/// BIRD 2 in one host's namespace, for hosts whose routed-hook config has a `bgp:` section.
///
/// Its config is what an admin would install: `routed-hook bird-config` run on the host's hook config. It
/// runs as `ip netns exec NS bird -c CONF -s SOCK -P PIDFILE` with every path in the host's lab directory,
/// is recorded in the journal like the OVS daemons, and `down` also finds it by that directory on its
/// command line.
struct BirdDaemon {
  let names: LabNames
  let host: String
  let journal: Journal

  var directory: String { names.birdDirectory(host) }
  var config: String { "\(directory)/bird.conf" }
  var socket: String { names.birdSocket(host) }
  var pidfile: String { "\(directory)/bird.pid" }

  /// Marks a graceful stop, so the next start recovers (`-R`).
  var gracefulMarker: String { "\(directory)/graceful-restart" }

  /// Writes BIRD's config with routed-hook, as on a real host, and starts BIRD; after a graceful stop with
  /// `-R`, so it keeps its kernel routes until BGP has converged again.
  func start(routedHook: String) throws {
    try FileSystem.makeDirectory(directory)
    if process != nil { throw LabError("bird already runs on \(host)") }
    let recovering = FileSystem.exists(gracefulMarker)
    FileSystem.remove(gracefulMarker)
    let text = try Command.check([routedHook, "bird-config", "--config", names.hookConfig(host)])
    try FileSystem.write(text, to: config)
    FileSystem.remove(pidfile)
    try Command.check(
      ["ip", "netns", "exec", names.namespace(host), "bird", "-c", config, "-s", socket, "-P", pidfile]
        + (recovering ? ["-R"] : []), timeout: 20)
    var record: ProcessRecord?
    for _ in 0..<200 where record == nil {
      if let text = FileSystem.read(pidfile),
        let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
      {
        record = ProcessRecord.current(pid: pid, name: "bird")
      }
      if record == nil { usleep(10000) }
    }
    guard let record else { throw LabError("bird for \(host) started but left no live pid in \(pidfile)") }
    try journal.record(process: record)
  }

  /// The running BIRD, by its pid file and its command line naming this host's directory.
  var process: ProcessRecord? {
    guard let text = FileSystem.read(pidfile),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      let commandLine = FileSystem.read("/proc/\(pid)/cmdline"), commandLine.contains(directory),
      let record = ProcessRecord.current(pid: pid, name: "bird"), record.isAlive
    else { return nil }
    return record
  }

  /// SIGKILL: BIRD dies as in a crash, leaving its kernel routes and sending nothing to its neighbours.
  func kill() throws {
    guard let process else { throw LabError("no bird runs on \(host)") }
    Glibc.kill(process.pid, SIGKILL)
    for _ in 0..<200 where process.isAlive { usleep(5000) }
  }

  /// `birdc graceful restart`: BIRD leaves its kernel routes in place and exits, and its neighbours keep
  /// its routes for the restart time (unless BFD tells them the link died).
  func stopGracefully() throws {
    guard let process else { throw LabError("no bird runs on \(host)") }
    try FileSystem.write("", to: gracefulMarker)
    try Command.check(["birdc", "-s", socket, "graceful", "restart"])
    for _ in 0..<400 where process.isAlive { usleep(5000) }
    if process.isAlive { throw LabError("bird on \(host) did not exit after birdc graceful restart") }
  }

  /// `birdc` against this host's BIRD.
  func birdc(_ arguments: [String]) throws -> String {
    try Command.check(["birdc", "-s", socket] + arguments)
  }

  /// BGP sessions by protocol name and state (`Established`, `Active`, …), from `birdc show protocols`.
  func sessions() throws -> [(name: String, state: String)] {
    try birdc(["show", "protocols"]).split(separator: "\n").compactMap { line in
      let words = line.split(separator: " ", omittingEmptySubsequences: true)
      guard words.count >= 4, words[1] == "BGP" else { return nil }
      // Name, proto, table, state, since (one or two words), then info: its first word is the BGP state.
      let info = words.dropFirst(4).first { !$0.contains(":") && !$0.contains("-") && Double($0) == nil }
      return (String(words[0]), String(info ?? words[3]))
    }
  }

  /// BIRD processes whose command line names a lab's state directory: `down` ends them even when the
  /// journal and pid files are gone, since nothing else uses that directory.
  static func processesNamingLabDirectory(names: LabNames) -> [ProcessRecord] {
    FileSystem.list("/proc").compactMap { entry -> ProcessRecord? in
      guard let pid = Int32(entry),
        FileSystem.read("/proc/\(entry)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) == "bird",
        let commandLine = FileSystem.read("/proc/\(entry)/cmdline"),
        commandLine.contains(names.labDirectory + "/")
      else { return nil }
      return ProcessRecord.current(pid: pid, name: "bird")
    }
  }
}
