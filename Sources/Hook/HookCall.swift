import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook hook KIND …`: the libvirt hook call, spelled out (for tests and people).
  struct HookCall: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "hook",
      abstract: "Run one libvirt hook call exactly as libvirt does; the domain XML comes on stdin.",
      discussion: """
        Same as running the binary as /etc/libvirt/hooks/<kind>.d/routed-hook. Options go before the kind: everything after it is libvirt's, verbatim (a domain may be named --help). Exit 1 only where libvirt should refuse the operation (prepare, start, started, migrate, restore); stopped, release and reconnect always exit 0. Nothing is written to stdout.

        Examples:
          routed-hook hook qemu web01 prepare begin - < web01.xml
          routed-hook hook qemu web01 release end destroyed < web01.xml
        """)

    @OptionGroup var options: CommonOptions

    @Argument(help: "qemu, lxc or network.")
    var kind: String

    @Argument(parsing: .allUnrecognized, help: "<name> <op> <subop> <extra>, with - for empty.")
    var arguments: [String] = []

    /// `routed-hook hook …` without ArgumentParser (see `HookCommandLine`); nil when it is no hook call.
    static func runVerbatim(_ words: ArraySlice<String>) -> Int32? {
      guard let line = HookCommandLine.parse(words) else { return nil }
      let settings = Settings.resolve(
        config: line.config, stateDirectory: line.stateDirectory, environment: Settings.environment())
      return HookRunner.run(kind: line.kind, arguments: line.arguments, settings: settings)
    }

    func run() throws {
      guard let hookKind = HookKind(rawValue: kind) else {
        throw ValidationError("unknown hook kind '\(kind)' (known: qemu, lxc, network)")
      }
      let status = HookRunner.run(kind: hookKind, arguments: arguments, settings: options.settings)
      if status != 0 { throw ExitCode(status) }
    }
  }
}
