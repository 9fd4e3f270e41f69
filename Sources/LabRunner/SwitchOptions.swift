import ArgumentParser
import LabKit

/// `--switch` and `--bridge-netfilter`: every host of the topology on another switch, for `up` and `test`.
struct SwitchOptions: ParsableArguments {
  @Option(
    name: .customLong("switch"),
    help: ArgumentHelp(
      "Put every host's guests on this switch instead of the file's: ovs or linux-bridge.", valueName: "kind")
  )
  var kind: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Linux bridges only: bridge-nf-call-iptables (and ip6tables, arptables) on or off in every host's namespace.",
      valueName: "on|off"))
  var bridgeNetfilter: String?

  /// Nil when neither option was given.
  func override() throws -> SwitchOverride? {
    do {
      return try SwitchOverride(kind: kind, bridgeNetfilter: bridgeNetfilter)
    } catch {
      throw ValidationError(error.description)
    }
  }
}
