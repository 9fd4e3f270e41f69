#if canImport(Glibc)
  import Glibc
#endif
import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook init`: a starting config from what this host shows, checked, never over an existing one.
  struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Write a starting config for this host from its bridges, interfaces and routes.",
      discussion: """
        Bridges (Linux or Open vSwitch) with an IPv4 address and no physical port become guest networks: their address is the guests' gateway. Every other interface with an IPv4 address becomes an uplink, with a mode guessed from the talk's scenarios and marked `# check`: proxy-arp where its subnet holds a guest network, routed (with its routes as peers) where other subnets are routed through it or it has no ARP, nat otherwise. libvirt's virbr* and Docker's docker0 are left out. A guest bridge's global IPv6 address (prefix /64 to /126) becomes the network's gateway6, also marked `# check`.

        init never overwrites a file: it fails when the config already exists. The result must pass `routed-hook check`; a guess that does not is printed with the reason, and nothing is written. Until the config exists every guest is left alone, so read the `# check` lines before you start guests with routed-hook metadata.

        Examples:
          routed-hook init               # writes /etc/libvirt/routed-hook.yaml
          routed-hook init --print       # shows the guess, writes nothing
          routed-hook init --config /tmp/host.yaml --ovs-db unix:/run/openvswitch/db.sock
        """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print the config instead of writing it.")
    var print = false

    @Option(
      help: ArgumentHelp(
        "Open vSwitch database, to see OVS bridges' ports (default: /var/run/openvswitch/db.sock if it exists).",
        valueName: "unix:path"))
    var ovsDb: String?

    func run() throws {
      let settings = options.settings
      let path = settings.configPath
      if !print, options.configExists {
        throw CLIError("\(path) exists; init never overwrites a config (move it away, or pass --config NEW.yaml)")
      }
      let host = try CLIError.wrap {
        try SnapshotCapture(settings: settings, ovsDatabase: ovsDb, routeProtocol: HostConfig.defaultRouteProtocol)
          .capture()
      }
      let guess = try CLIError.wrap { try InitialConfig.guess(host, hostName: InitCommand.hostName()) }
      let config: HostConfig
      do {
        config = try ConfigLoader.load(yaml: guess.text, file: path, facts: LiveHost.facts())
      } catch {
        Swift.print(guess.text, terminator: "")
        throw CLIError("the guess above does not pass check, so nothing was written: \(error)")
      }
      if print {
        Swift.print(guess.text, terminator: "")
        return
      }
      try CLIError.wrap { try InitCommand.create(path, guess.text) }
      Swift.print(ConfigSummary.text(config))
      Swift.print("wrote \(path): read the lines marked `# check`, then run: routed-hook check")
    }

    static func hostName() -> String {
      var buffer = [CChar](repeating: 0, count: 256)
      guard gethostname(&buffer, buffer.count - 1) == 0 else { return "this host" }
      return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `path` with `text`, failing if it exists (O_EXCL: no race with another writer).
    static func create(_ path: String, _ text: String) throws {
      let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      guard fd >= 0 else {
        let reason = String(cString: strerror(errno))
        throw CLIError("cannot create \(path): \(reason)")
      }
      defer { close(fd) }
      let bytes = Array(text.utf8)
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      guard written == bytes.count, fsync(fd) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(path)
        throw CLIError("cannot write \(path): \(reason)")
      }
    }
  }
}
