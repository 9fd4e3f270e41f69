/// `--switch KIND` and `--bridge-netfilter on|off` of `up` and `test`: every host's switch replaced, so one
/// topology proves its scenarios on Open vSwitch and on a Linux bridge (`lab/demo` runs `lab/seed.yaml` both
/// ways) without a second copy of the file. `up` records it beside the topology's copy, so later commands on
/// the running lab see the same switches.
public struct SwitchOverride: Sendable, Equatable, CustomStringConvertible {
  public var kind: SwitchKind?
  public var bridgeNetfilter: Bool?

  /// From the command line's words; nil when neither option was given.
  public init?(kind: String?, bridgeNetfilter: String?) throws(LabError) {
    guard kind != nil || bridgeNetfilter != nil else { return nil }
    if let kind {
      guard let parsed = SwitchKind(rawValue: kind) else {
        throw LabError("--switch: '\(kind)' is not a switch kind (ovs or linux-bridge)")
      }
      self.kind = parsed
    }
    if let bridgeNetfilter {
      switch bridgeNetfilter {
      case "on": self.bridgeNetfilter = true
      case "off": self.bridgeNetfilter = false
      default: throw LabError("--bridge-netfilter: '\(bridgeNetfilter)' is not on or off")
      }
    }
  }

  /// The options as given, e.g. `--switch linux-bridge --bridge-netfilter on`: recorded and shown as such.
  public var description: String {
    var words: [String] = []
    if let kind { words += ["--switch", kind.rawValue] }
    if let bridgeNetfilter { words += ["--bridge-netfilter", bridgeNetfilter ? "on" : "off"] }
    return words.joined(separator: " ")
  }

  /// Reads back what `description` recorded.
  public init?(recorded text: String) throws(LabError) {
    let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
    func value(_ option: String) -> String? {
      words.firstIndex(of: option).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
    }
    try self.init(kind: value("--switch"), bridgeNetfilter: value("--bridge-netfilter"))
  }

  /// Replaces the switch of a host; its bridge name and MTU stay the file's.
  func apply(to host: inout Host) {
    if let kind { host.switchConfig.kind = kind }
    // A file's Linux-bridge setting means nothing on Open vSwitch; an explicit one is refused there.
    if kind == .ovs { host.switchConfig.bridgeNetfilter = nil }
    if let bridgeNetfilter { host.switchConfig.bridgeNetfilter = bridgeNetfilter }
  }
}
