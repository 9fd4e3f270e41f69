import ArgumentParser
import HookRuntime
import Watch

extension RoutedHook {
  /// `routed-hook watch`: the daemon that repairs drift and follows libvirt's events (docs/watch.md).
  struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "watch",
      abstract: "Run the daemon: repair drift from kernel events within a second, follow libvirt's events.",
      discussion: """
        Subscribes to rtnetlink (links, IPv4 and IPv6 addresses and routes) and nf_tables notifications in its network namespace. When an object the records say exists goes away (nft flush ruleset, ip route flush proto 151, an owned table deleted, an uplink re-created), it puts it back from the records within a second, under the hook lock, in one transaction per burst of events. It connects to libvirt read-only for lifecycle events (reconnecting when libvirtd restarts) and reconciles against libvirt's listing at start, on every reconnect, after a domain stops and every --reconcile-interval seconds. Without libvirt it still repairs from the records, and says so. Hooks never need it.

        It notifies systemd (Type=notify: READY, WATCHDOG, STATUS) when $NOTIFY_SOCKET is set, writes its view to <state dir>/watch.status (shown by `routed-hook status --json`), a Prometheus textfile, and one syslog line per repair. SIGTERM stops it.

        Examples:
          routed-hook watch                                       # as hooks/routed-hook-watch.service runs it
          routed-hook watch --metrics /var/lib/prometheus/node-exporter/routed-hook.prom
          routed-hook watch --metrics '' --no-libvirt             # records only, no textfile
          routed-hook watch --connect qemu:///system --connect lxc:///system
        """)

    @OptionGroup var options: CommonOptions

    @Option(
      name: .customLong("connect"),
      help: ArgumentHelp(
        "A libvirt URI to follow; repeat for more (default: qemu:///system and lxc:///system).", valueName: "uri"))
    var uris: [String] = []

    @Option(
      help: ArgumentHelp(
        "node-exporter textfile to write (empty: none).", valueName: "path"))
    var metrics = "/var/lib/prometheus/node-exporter/routed-hook.prom"

    @Flag(help: "Do not load libvirt: repair from the records alone.")
    var noLibvirt = false

    @Option(help: ArgumentHelp("Seconds between reconciles against libvirt's listing.", valueName: "seconds"))
    var reconcileInterval: Double = 300

    @Option(help: ArgumentHelp("Seconds between metrics refreshes (also after every repair).", valueName: "seconds"))
    var metricsInterval: Double = 15

    func validate() throws {
      guard reconcileInterval >= 1 else { throw ValidationError("--reconcile-interval must be at least 1 second") }
      guard metricsInterval >= 1 else { throw ValidationError("--metrics-interval must be at least 1 second") }
    }

    func run() throws {
      var daemonOptions = WatchDaemon.Options(
        settings: options.settings, uris: uris.isEmpty ? ["qemu:///system", "lxc:///system"] : uris,
        metricsPath: metrics.isEmpty ? nil : metrics)
      daemonOptions.useLibvirt = !noLibvirt
      daemonOptions.reconcileInterval = reconcileInterval
      daemonOptions.metricsInterval = metricsInterval
      try CLIError.wrap { try WatchDaemon(options: daemonOptions).run() }
    }
  }
}
