/// A config problem, located by file, line and field: `routed-hook.yaml:12: uplinks[1].mode: …`.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var field: String
  public var message: String

  public var description: String {
    let place = line.map { "\(file):\($0)" } ?? file
    return field.isEmpty ? "\(place): \(message)" : "\(place): \(field): \(message)"
  }
}
