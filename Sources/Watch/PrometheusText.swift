import HookRuntime

/// One metric family in Prometheus's text exposition format (version 0.0.4): its name, help, type and samples.
public struct MetricFamily: Sendable, Equatable {
  public enum Kind: String, Sendable { case gauge, counter }

  public struct Sample: Sendable, Equatable {
    public var labels: [(String, String)]
    public var value: Double

    public init(_ labels: [(String, String)] = [], _ value: Double) {
      self.labels = labels
      self.value = value
    }

    public static func == (left: Sample, right: Sample) -> Bool {
      left.value == right.value && left.labels.map(\.0) == right.labels.map(\.0)
        && left.labels.map(\.1) == right.labels.map(\.1)
    }
  }

  public var name: String
  public var help: String
  public var kind: Kind
  public var samples: [Sample]

  public init(_ name: String, _ kind: Kind, help: String, samples: [Sample]) {
    self.name = name
    self.kind = kind
    self.help = help
    self.samples = samples
  }
}

/// The text node-exporter's textfile collector reads: `# HELP`, `# TYPE`, then one line per sample, with label
/// values and help escaped as the format requires. Written to a temporary file beside the target and renamed
/// into place, so the collector never reads half a file.
public enum PrometheusText {
  public static func render(_ families: [MetricFamily]) -> String {
    var text = ""
    for family in families {
      text += "# HELP \(family.name) \(escape(family.help, quotes: false))\n"
      text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
      for sample in family.samples {
        text += family.name
        if !sample.labels.isEmpty {
          text += "{"
          text += sample.labels.map { "\($0.0)=\"\(escape($0.1, quotes: true))\"" }.joined(separator: ",")
          text += "}"
        }
        text += " \(number(sample.value))\n"
      }
    }
    return text
  }

  /// `\` and newlines always, `"` in label values.
  static func escape(_ text: String, quotes: Bool) -> String {
    var escaped = ""
    for character in text {
      switch character {
      case "\\": escaped += "\\\\"
      case "\n": escaped += "\\n"
      case "\"" where quotes: escaped += "\\\""
      default: escaped.append(character)
      }
    }
    return escaped
  }

  /// Integers without a fraction (counts and timestamps read best that way); others as Swift prints them,
  /// which Prometheus's float parser accepts; NaN and infinities spelled as the format wants.
  static func number(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  /// Writes `families` to `path` atomically (temporary file in the same directory, then rename), mode 0644 so
  /// node-exporter, which does not run as root, can read it.
  public static func write(_ families: [MetricFamily], to path: String) throws {
    try AtomicFile.write(Array(render(families).utf8), to: path)
  }
}
