import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook bird-config`: BIRD's config for sharing this host's guest routes over BGP.
  // An admin's command: its stdout is for the terminal. Hook calls never get here (main.swift dispatches them
  // by argv[0] before ArgumentParser), so nothing it prints can reach libvirt, which reads a hook's stdout.
  struct BirdConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "bird-config",
      abstract: "Print the BIRD 2 config that shares this host's guest routes with its BGP neighbours.",
      discussion: """
        Made from the config's bgp: section. BIRD learns the /32 routes routed-hook writes for running guests (their route protocol), announces them to the neighbours, and installs the neighbours' guest routes as its own (protocol bird). The whole config is a complete bird.conf; --fragment prints only routed-hook's part, to include into an existing BIRD config after its router id and device protocol. `routed-hook check` parse-checks both with `bird -p`.

        Examples:
          routed-hook bird-config > /etc/bird/bird.conf && birdc configure
          routed-hook bird-config --fragment > /etc/bird/routed-hook.conf
          routed-hook bird-config --config examples/fleet-lpar11.yaml | bird -p -c /dev/stdin
        """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print only routed-hook's part, to include into an existing BIRD config.")
    var fragment = false

    func run() throws {
      let path = options.settings.configPath
      let config = try CLIError.wrap { try LiveHost.config(path) }
      guard let text = BirdConfig.text(config, source: path, mode: fragment ? .fragment : .full) else {
        throw CLIError("\(path): no bgp: section; BIRD is for fleets that share guest routes over BGP")
      }
      print(text, terminator: "")
    }
  }
}
