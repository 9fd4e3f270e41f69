import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook status`: records against the live kernel.
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show each recorded domain's objects, present or missing, and owned objects with no record.",
      discussion: """
        Exits 1 when anything is missing or orphaned.

        Examples:
          routed-hook status
          routed-hook status --json | jq '.orphans'
        """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      let settings = options.settings
      let routing = GuestRouting(settings: settings)
      let routeProtocol = (try? routing.loadConfig())??.routeProtocol ?? HostConfig.defaultRouteProtocol
      let report = try CLIError.wrap { try routing.status(routeProtocol: routeProtocol) }
      print(json ? try report.json() : report.text(), terminator: "")
      if !report.isClean { throw ExitCode(1) }
    }
  }
}
