/// A problem in a topology file, located by line, column and field path so the user can fix it at once.
public struct TopologyError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  /// Dotted path of the field, such as `hosts[0].interfaces[1].address`.
  public var field: String
  public var message: String

  public var description: String {
    field.isEmpty
      ? "\(file):\(line):\(column): \(message)" : "\(file):\(line):\(column): \(field): \(message)"
  }
}
