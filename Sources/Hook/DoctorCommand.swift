import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook doctor`: the talk's pitfalls, looked for on the live host (or a saved snapshot).
  // An admin's command: its stdout is for the terminal. Hook calls never get here (main.swift dispatches them
  // by argv[0] before ArgumentParser), so nothing it prints can reach libvirt, which reads a hook's stdout.
  struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "doctor",
      abstract:
        "Look for the talk's pitfalls on this host: proxy_arp, ARP filters, MTUs, paths, forwarding, drift.",
      discussion: """
        Reads the live host (ip -j, nft -j, legacy arptables/iptables when loaded, OVS when its database answers) and prints one block per finding: severity, summary, evidence and the one-line fix. Without a config (or when the default config file does not exist) it judges the host alone; with one it also knows which interfaces routed-hook manages and compares its objects with its records. Exits 1 when any finding is critical. Finding ids are stable; see docs/doctor.md.

        Examples:
          routed-hook doctor
          routed-hook doctor --json | jq -r '.findings[].id'
          routed-hook doctor --config /etc/libvirt/routed-hook.yaml
          ip netns exec lpar11 routed-hook doctor --ovs-db unix:/run/lab/lpar11/db.sock
          routed-hook doctor --save-snapshot host.json    # a bug report, a fixture
          routed-hook doctor --snapshot host.json --config lpar11.yaml
        """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print {\"findings\":[{\"id\",\"severity\",\"summary\",\"evidence\",\"fix\"}]} on one line.")
    var json = false

    @Option(
      help: ArgumentHelp(
        "Open vSwitch database (default: /var/run/openvswitch/db.sock if it exists).", valueName: "unix:path")
    )
    var ovsDb: String?

    @Option(help: ArgumentHelp("Check a saved snapshot instead of the live host.", valueName: "file"))
    var snapshot: String?

    @Option(help: ArgumentHelp("Also write the captured snapshot to this file.", valueName: "file"))
    var saveSnapshot: String?

    func run() throws {
      let settings = options.settings
      let config = try CLIError.wrap { () throws -> HostConfig? in
        let loaded = try GuestRouting(settings: settings).loadConfig()
        if loaded == nil, options.config != nil { throw CLIError("\(settings.configPath) does not exist") }
        return loaded
      }
      let host = try CLIError.wrap { () throws -> HostSnapshot in
        if let snapshot {
          return try DoctorFiles.snapshot(fromJSON: try LiveHost.bytes(snapshot), file: snapshot)
        }
        let capture = SnapshotCapture(
          settings: settings, ovsDatabase: ovsDb,
          routeProtocol: config?.routeProtocol ?? HostConfig.defaultRouteProtocol)
        return try capture.capture()
      }
      if let saveSnapshot {
        try CLIError.wrap { try DoctorFiles.write(try DoctorFiles.snapshotJSON(host), to: saveSnapshot) }
      }
      let report = DoctorReport(findings: Doctor.findings(host, config: config))
      print(json ? try CLIError.wrap { try DoctorFiles.reportJSON(report) } : report.text, terminator: "")
      if report.hasCritical { throw ExitCode(1) }
    }
  }
}
