import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook reconcile`: make the kernel and the records match the domains libvirt runs.
  struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reconcile",
      abstract:
        "Make routing match the running domains: add what is missing, remove what no running domain owns.",
      discussion: """
        Asks libvirt (read-only) for the active domains and their XML, computes their routing from the config, and compares it with the records and the kernel. It re-applies running domains whose objects are missing or whose record is missing or stale (and restores the host baseline if guests are routed), removes the records and objects of domains that no longer run, and removes owned objects that no record explains. This answers what a hook call cannot see: `nft flush ruleset`, a hook killed between apply and record, a domain destroyed while the hook was not installed. A URI that cannot be opened is skipped with a note; while one is skipped for any reason but its driver not existing here, nothing is removed, because its domains may still run. Fails only when no URI opens or a step fails. Run it from the systemd timer (hooks/routed-hook-reconcile.timer), never from a hook.

        Examples:
          routed-hook reconcile --dry-run
          routed-hook reconcile
          routed-hook reconcile --connect qemu:///system --json
          routed-hook reconcile --connect test:///path/to/testnode.xml --dry-run
        """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print what would be done, change nothing.")
    var dryRun = false

    @Option(
      name: .customLong("connect"),
      help: ArgumentHelp(
        "A libvirt URI to list domains from; repeat for more (default: qemu:///system and lxc:///system).",
        valueName: "uri"))
    var uris: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      let settings = options.settings
      let routing = GuestRouting(settings: settings)
      let report = try CLIError.wrap { () -> ReconcileReport in
        guard let config = try routing.loadConfig() else {
          throw CLIError("no config at \(settings.configPath)")
        }
        let client = try LibvirtClient()
        let uris = uris.isEmpty ? ["qemu:///system", "lxc:///system"] : uris
        return try routing.reconcile(config: config, dryRun: dryRun) { client.activeDomains(uris: uris) }
      }
      print(json ? try report.json() : report.text(), terminator: "")
      if report.failures > 0 { throw ExitCode(1) }
    }
  }
}
