/// `routed-hook hook [--config P] [--state-dir D] KIND NAME OP SUBOP EXTRA`, read without ArgumentParser.
///
/// Everything after the kind is libvirt's, verbatim: a domain named `--help` or `--config` is a name there,
/// never an option (ArgumentParser printed usage on stdout for the one and took the other as an option).
public struct HookCommandLine: Equatable, Sendable {
  public var config: String?
  public var stateDirectory: String?
  public var kind: HookKind
  /// `<name> <op> <subop> <extra>`, untouched.
  public var arguments: [String]

  /// Nil when the words are no hook call (help, an unknown option or kind, a missing value): the caller
  /// lets ArgumentParser explain.
  public static func parse(_ words: some Collection<String>) -> HookCommandLine? {
    var rest = words[...]
    var config: String?
    var stateDirectory: String?
    while let first = rest.first, first.hasPrefix("-") {
      rest = rest.dropFirst()
      var name = first
      var value: String?
      if let equals = first.firstIndex(of: "=") {
        name = String(first[..<equals])
        value = String(first[first.index(after: equals)...])
      } else {
        value = rest.first
        rest = rest.dropFirst()
      }
      guard let value, name == "--config" || name == "--state-dir" else { return nil }
      if name == "--config" { config = value } else { stateDirectory = value }
    }
    guard let first = rest.first, let kind = HookKind(rawValue: first) else { return nil }
    return HookCommandLine(
      config: config, stateDirectory: stateDirectory, kind: kind, arguments: Array(rest.dropFirst()))
  }
}
