import Yams

/// Line and column of every field in a YAML document by path, so checks made after parsing can still point at it.
struct FieldMarks {
  let file: String
  private var marks: [String: (line: Int, column: Int)] = [:]

  init(root: Node, file: String) {
    self.file = file
    collect(root, path: "")
  }

  private mutating func collect(_ node: Node, path: String) {
    if let mark = node.mark { marks[path] = (mark.line, mark.column) }
    switch node {
    case .mapping(let mapping):
      for (key, value) in mapping {
        let childPath = path.isEmpty ? key.string ?? "?" : "\(path).\(key.string ?? "?")"
        collect(value, path: childPath)
      }
    case .sequence(let sequence):
      for (index, item) in sequence.enumerated() { collect(item, path: "\(path)[\(index)]") }
    default:
      break
    }
  }

  /// An error at `path`, or at its nearest parent that has a position (absent optional fields have none).
  func error(_ path: String, _ message: String) -> TopologyError {
    var probe = path
    while marks[probe] == nil, !probe.isEmpty {
      if let cut = probe.lastIndex(where: { $0 == "." || $0 == "[" }) {
        probe = String(probe[..<cut])
      } else {
        probe = ""
      }
    }
    let mark = marks[probe] ?? (1, 1)
    return TopologyError(file: file, line: mark.line, column: mark.column, field: path, message: message)
  }
}
