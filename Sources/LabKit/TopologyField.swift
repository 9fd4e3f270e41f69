import RoutedCore
import Yams

/// One value in a parsed YAML document with its path and position, so every error can name line and field.
struct TopologyField {
  let node: Node
  let path: String
  let file: String

  var line: Int { node.mark?.line ?? 1 }
  var column: Int { node.mark?.column ?? 1 }

  func error(_ message: String) -> TopologyError {
    TopologyError(file: file, line: line, column: column, field: path, message: message)
  }

  /// A mapping whose keys must all be in `allowed`; unknown keys are typos, so they are errors. With
  /// `extensions`, keys starting with `x-` are skipped: a place for YAML anchors shared by several nodes.
  func mapping(allowed: [String], extensions: Bool = false) throws -> TopologyMapping {
    guard case .mapping(let mapping) = node else { throw error("expected a mapping (key: value lines)") }
    var fields: [(key: String, field: TopologyField)] = []
    for (keyNode, value) in mapping {
      guard case .scalar(let scalar) = keyNode else { throw error("keys must be plain words") }
      let key = scalar.string
      let childPath = path.isEmpty ? key : "\(path).\(key)"
      if extensions && key.hasPrefix("x-") { continue }
      guard allowed.contains(key) else {
        let keyField = TopologyField(node: keyNode, path: childPath, file: file)
        throw keyField.error("unknown field (expected one of: \(allowed.joined(separator: ", ")))")
      }
      fields.append((key, TopologyField(node: value, path: childPath, file: file)))
    }
    return TopologyMapping(field: self, fields: fields)
  }

  /// The items of a sequence; a single scalar is not accepted so that lists look like lists.
  func list() throws -> [TopologyField] {
    guard case .sequence(let sequence) = node else { throw error("expected a list") }
    return sequence.enumerated().map { index, item in
      TopologyField(node: item, path: "\(path)[\(index)]", file: file)
    }
  }

  func string() throws -> String {
    guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
      throw error("expected a text value")
    }
    return scalar.string
  }

  func int(in range: ClosedRange<Int>) throws -> Int {
    guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
      throw error("expected a whole number")
    }
    guard range.contains(value) else {
      throw error("\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  func bool() throws -> Bool {
    guard case .scalar(let scalar) = node else { throw error("expected true or false") }
    switch scalar.string {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default: throw error("expected true or false, not '\(scalar.string)'")
    }
  }

  func address() throws -> IPv4Address {
    let text = try string()
    guard let address = IPv4Address(text) else { throw error("'\(text)' is not an IPv4 address (a.b.c.d)") }
    return address
  }

  /// An interface address with its prefix, such as `10.131.11.254/8`.
  func cidr() throws -> IPv4Interface {
    let text = try string()
    guard let cidr = IPv4Interface(text) else {
      throw error("'\(text)' is not an IPv4 address with prefix (a.b.c.d/n)")
    }
    return cidr
  }

  /// An IPv6 address, link-local ones included (`fe80::1`).
  func address6() throws -> IPv6Address {
    let text = try string()
    guard let address = IPv6Address(text) else {
      throw error("'\(text)' is not an IPv6 address (like fd00:10::136:11:5 or fe80::1)")
    }
    return address
  }

  /// An IPv6 address with its prefix, such as `fd00:10::131:11:254/64`.
  func cidr6() throws -> IPv6Interface {
    let text = try string()
    guard let cidr = IPv6Interface(text) else {
      throw error("'\(text)' is not an IPv6 address with prefix (like fd00:10::136:11:5/128)")
    }
    return cidr
  }

  /// A subnet: an address with prefix whose host bits are zero.
  func subnet() throws -> IPv4Network {
    let cidr = try cidr()
    guard cidr.network.address == cidr.address else {
      throw error("'\(cidr)' has host bits set; did you mean \(cidr.network)?")
    }
    return cidr.network
  }

  func mac() throws -> LabMAC {
    let text = try string()
    guard let mac = LabMAC(text) else { throw error("'\(text)' is not a MAC address (xx:xx:xx:xx:xx:xx)") }
    guard !mac.isMulticast else { throw error("'\(text)' is a multicast MAC; a NIC needs a unicast one") }
    return mac
  }

  /// A list of strings, also accepting a single string for one-element lists.
  func strings() throws -> [String] {
    if case .scalar = node { return [try string()] }
    return try list().map { try $0.string() }
  }
}

/// The checked keys of one YAML mapping.
struct TopologyMapping {
  let field: TopologyField
  let fields: [(key: String, field: TopologyField)]

  subscript(key: String) -> TopologyField? { fields.first { $0.key == key }?.field }

  func required(_ key: String) throws -> TopologyField {
    guard let value = self[key] else { throw field.error("missing required field '\(key)'") }
    return value
  }
}
