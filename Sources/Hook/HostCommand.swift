import ArgumentParser
import HookRuntime
import RoutedCore
import RoutedKernel

extension RoutedHook {
  /// `routed-hook host up|down`: the baseline, for hosts whose bridge is not a libvirt network.
  struct Host: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Make or remove the host baseline (gateway, sysctls, owned nftables tables, peer routes).",
      discussion: """
        The talk's own setup attaches guests with <interface type='bridge'> and an OVS virtualport, so no libvirt network hook runs: call 'host up' once the bridge exists (for example from the unit that creates it) and 'host down' when it goes away. Hosts whose bridge is a libvirt network get the same from the network hook. 'host down' is refused while guests are routed.

        Examples:
          routed-hook host up
          routed-hook host down --config /etc/libvirt/routed-hook.yaml
        """,
      subcommands: [Up.self, Down.self])

    struct Up: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Make the host baseline (idempotent).")
      @OptionGroup var options: CommonOptions

      func run() throws {
        try Host.run("up", options) { try $0.hostUp(config: $1) }
      }
    }

    struct Down: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Remove the host baseline and turn its sysctls off (refused while guests are routed).")
      @OptionGroup var options: CommonOptions

      func run() throws {
        try Host.run("down", options) { try $0.hostDown(config: $1) }
      }
    }

    /// Loads the config, runs `body`, and prints one line.
    static func run(
      _ verb: String, _ options: CommonOptions, _ body: (GuestRouting, HostConfig) throws -> ApplyReport?
    ) throws {
      let routing = GuestRouting(settings: options.settings)
      let report = try CLIError.wrap { () -> ApplyReportSummary in
        guard let config = try routing.loadConfig() else {
          throw CLIError("no config at \(options.settings.configPath)")
        }
        return ApplyReportSummary(try body(routing, config))
      }
      print("host \(verb): \(report.text)")
    }
  }
}
