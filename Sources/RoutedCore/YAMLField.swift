/// A YAML node with its field path, so every parse error can name file, line and field.
struct YAMLField {
  let node: YAMLNode
  let path: String
  let file: String

  var line: Int? { node.line }

  func error(_ message: String) -> ConfigError {
    ConfigError(file: file, line: line, field: path, message: message)
  }

  /// The mapping's entries, refusing keys outside `allowed` so typos are caught.
  func mapping(allowed: Set<String>) throws -> [String: YAMLField] {
    guard case .mapping(let mapping, _) = node else { throw error("expected a mapping") }
    var fields: [String: YAMLField] = [:]
    for (key, value) in mapping {
      guard let name = key.string else { throw error("keys must be strings") }
      let child = YAMLField(node: value, path: path.isEmpty ? name : "\(path).\(name)", file: file)
      guard allowed.contains(name) else {
        let known = allowed.sorted().joined(separator: ", ")
        throw YAMLField(node: key, path: child.path, file: file).error("unknown field (known: \(known))")
      }
      guard fields[name] == nil else { throw child.error("given twice") }
      fields[name] = child
    }
    return fields
  }

  /// A list; an empty value (`peers:` with nothing after it) is an empty list.
  func sequence() throws -> [YAMLField] {
    if case .scalar(let text, _) = node, ["", "~", "null"].contains(text) { return [] }
    guard case .sequence(let sequence, _) = node else { throw error("expected a list") }
    return sequence.enumerated().map { YAMLField(node: $1, path: "\(path)[\($0)]", file: file) }
  }

  func string() throws -> String {
    guard case .scalar(let text, _) = node else { throw error("expected a string") }
    return text
  }

  func int(in range: ClosedRange<Int>) throws -> Int {
    guard case .scalar(let text, _) = node, let value = DecimalText.parse(text) else {
      throw error("expected a whole number in plain decimal digits")
    }
    guard range.contains(value) else {
      throw error("\(value) is out of range \(range.lowerBound)–\(range.upperBound)")
    }
    return value
  }

  /// A scalar parsed by `parse`, with `what` naming the expected form in the error.
  func value<T>(_ what: @autoclosure () -> String, _ parse: (String) -> T?) throws -> T {
    let text = try string()
    guard let value = parse(text) else {
      throw error("\(text.isEmpty ? "empty" : "'\(text)'") is not \(what())")
    }
    return value
  }

  /// A list given either as a YAML sequence or as one space-separated string.
  func words() throws -> [String] {
    if case .scalar(let text, _) = node { return text.split(separator: " ").map(String.init) }
    return try sequence().map { try $0.string() }
  }
}
