import FoundationEssentials

/// Any JSON document, for reading the tools' `-j` output without a schema for every field we ignore.
enum JSONValue: Decodable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Parses `text`; nil when it is not JSON.
  static func parse(_ text: String) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
  }

  subscript(key: String) -> JSONValue? {
    if case .object(let object) = self { return object[key] }
    return nil
  }

  var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  var int: Int? {
    if case .number(let value) = self { return Int(value) }
    return nil
  }

  /// The elements of an array; empty for anything else.
  var array: [JSONValue] {
    if case .array(let value) = self { return value }
    return []
  }

  /// Every string in this value, recursively (for `iifname { "a", "b" }` right-hand sides).
  var strings: [String] {
    switch self {
    case .string(let value): [value]
    case .array(let values): values.flatMap(\.strings)
    case .object(let object): object.values.flatMap(\.strings)
    default: []
    }
  }
}
