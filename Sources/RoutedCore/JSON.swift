/// A JSON value with a small strict reader and a writer, free of Codable.
///
/// Records are read and written on every hook call; `JSONDecoder` with `Codable` spends more time
/// instantiating generic metadata at first use than the rest of a hook call (measured with perf).
public enum JSON: Equatable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSON])
  /// Members in document order.
  case object([(key: String, value: JSON)])

  public static func == (a: JSON, b: JSON) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.number(let x), .number(let y)): x == y
    case (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)):
      x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: false
    }
  }

  public subscript(key: String) -> JSON? {
    if case .object(let members) = self { return members.first { $0.key == key }?.value }
    return nil
  }

  public var string: String? { if case .string(let value) = self { value } else { nil } }
  public var number: Double? { if case .number(let value) = self { value } else { nil } }
  /// A number as an integer (`ip -j` and `nft -j` print counts, indexes and MTUs as JSON numbers).
  public var int: Int? { number.map { Int($0) } }
  public var array: [JSON]? { if case .array(let value) = self { value } else { nil } }
  public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }

  /// Parses a whole document; nil when it is not JSON.
  public static func parse(_ bytes: [UInt8]) -> JSON? {
    var reader = JSONReader(bytes: bytes)
    guard let value = reader.value() else { return nil }
    reader.skipSpace()
    return reader.position == bytes.count ? value : nil
  }

  /// Indented text, one member per line, keys in the given order.
  public func text(indent: String = "") -> String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .number(let value):
      return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    case .string(let value): return JSON.quote(value)
    case .array(let items):
      guard !items.isEmpty else { return "[]" }
      let inner = indent + "  "
      return "[\n" + items.map { inner + $0.text(indent: inner) }.concatenated(separator: ",\n")
        + "\n\(indent)]"
    case .object(let members):
      guard !members.isEmpty else { return "{}" }
      let inner = indent + "  "
      return "{\n"
        + members.map { "\(inner)\(JSON.quote($0.key)): \($0.value.text(indent: inner))" }.concatenated(
          separator: ",\n")
        + "\n\(indent)}"
    }
  }

  static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}

/// A recursive-descent reader over UTF-8 bytes (records are small and shallow).
private struct JSONReader {
  let bytes: [UInt8]
  var position = 0

  mutating func skipSpace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  mutating func value(depth: Int = 0) -> JSON? {
    guard depth < 64 else { return nil }
    skipSpace()
    guard position < bytes.count else { return nil }
    switch bytes[position] {
    case UInt8(ascii: "{"):
      position += 1
      var members: [(key: String, value: JSON)] = []
      skipSpace()
      if take("}") { return .object(members) }
      repeat {
        skipSpace()
        guard let key = string(),
          {
            skipSpace(); return take(":")
          }(), let value = value(depth: depth + 1)
        else { return nil }
        members.append((key, value))
        skipSpace()
      } while take(",")
      return take("}") ? .object(members) : nil
    case UInt8(ascii: "["):
      position += 1
      var items: [JSON] = []
      skipSpace()
      if take("]") { return .array(items) }
      repeat {
        guard let item = value(depth: depth + 1) else { return nil }
        items.append(item)
        skipSpace()
      } while take(",")
      return take("]") ? .array(items) : nil
    case UInt8(ascii: "\""):
      return string().map(JSON.string)
    case UInt8(ascii: "t"): return literal("true", .bool(true))
    case UInt8(ascii: "f"): return literal("false", .bool(false))
    case UInt8(ascii: "n"): return literal("null", .null)
    default:
      let start = position
      while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
      return Double(String(decoding: bytes[start..<position], as: UTF8.self)).map(JSON.number)
    }
  }

  mutating func take(_ character: Unicode.Scalar) -> Bool {
    guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
    position += 1
    return true
  }

  mutating func literal(_ word: String, _ value: JSON) -> JSON? {
    let utf8 = Array(word.utf8)
    guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
      return nil
    }
    position += utf8.count
    return value
  }

  mutating func string() -> String? {
    guard take("\"") else { return nil }
    var out: [UInt8] = []
    while position < bytes.count {
      let byte = bytes[position]
      position += 1
      switch byte {
      case UInt8(ascii: "\""): return String(validating: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard position < bytes.count else { return nil }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "u"):
          guard position + 4 <= bytes.count,
            let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(code)
          else { return nil }
          position += 4
          out += Array(String(Character(scalar)).utf8)
        default: out.append(escape)
        }
      default:
        guard byte >= 0x20 else { return nil }
        out.append(byte)
      }
    }
    return nil
  }
}
