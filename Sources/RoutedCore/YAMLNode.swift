import CYAML

/// A composed YAML node with its 1-based line, from libyaml's event stream.
indirect enum YAMLNode {
  case scalar(String, line: Int)
  case mapping([(key: YAMLNode, value: YAMLNode)], line: Int)
  case sequence([YAMLNode], line: Int)

  var line: Int {
    switch self {
    case .scalar(_, let line), .mapping(_, let line), .sequence(_, let line): line
    }
  }

  /// The text of a scalar, nil for collections.
  var string: String? { if case .scalar(let text, _) = self { text } else { nil } }

  /// Collections nested deeper than this are refused: a config needs five levels, and the tree's release is
  /// recursive (50,000 nested `[` overflowed the stack while freeing it).
  static let maximumDepth = 64

  /// Composes the one document of `text`; nil for an empty stream. A second document (after `---` or `...`)
  /// is an error: libyaml would stop at the first and the rest of the file would be ignored silently.
  static func compose(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else {
      throw YAMLSyntaxError(line: nil, problem: "out of memory")
    }
    defer { yaml_parser_delete(&parser) }
    // UTF-8 only: libyaml would otherwise take a UTF-16 byte order mark as a reason to read the file as
    // UTF-16, which no byte-level check (the unmanaged shortcut's) can follow.
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBufferPointer { buffer throws(YAMLSyntaxError) -> YAMLNode? in
      yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
      var composer = Composer()
      while true {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
          let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
          throw YAMLSyntaxError(line: Int(parser.problem_mark.line) + 1, problem: problem)
        }
        defer { yaml_event_delete(&event) }
        if event.type == YAML_STREAM_END_EVENT { return composer.root }
        if event.type == YAML_DOCUMENT_START_EVENT && composer.documentDone {
          throw YAMLSyntaxError(
            line: Int(event.start_mark.line) + 1,
            problem: "a second YAML document ('---' or '...' ends the first); a config is one document")
        }
        try composer.handle(&event)
      }
    }
  }
}

/// A YAML syntax error from libyaml.
struct YAMLSyntaxError: Error {
  var line: Int?
  var problem: String
}

/// Builds nodes from events with a stack of open collections; anchors are remembered for aliases.
///
/// Open collections are objects, appended to in place: a value-typed stack copied each collection on every
/// entry it got, and 60,000 keys took 51 s.
private struct Composer {
  final class Open {
    let isMapping: Bool
    let line: Int
    let anchor: String?
    var pairs: [(key: YAMLNode, value: YAMLNode)] = []
    var items: [YAMLNode] = []
    var pendingKey: YAMLNode?

    init(isMapping: Bool, line: Int, anchor: String?) {
      self.isMapping = isMapping
      self.line = line
      self.anchor = anchor
    }

    var node: YAMLNode { isMapping ? .mapping(pairs, line: line) : .sequence(items, line: line) }
  }

  var stack: [Open] = []
  var root: YAMLNode?
  var anchors: [String: YAMLNode] = [:]
  var documentDone = false

  mutating func handle(_ event: inout yaml_event_t) throws(YAMLSyntaxError) {
    let line = Int(event.start_mark.line) + 1
    switch event.type {
    case YAML_SCALAR_EVENT:
      let scalar = event.data.scalar
      let text = String(
        decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
      let node = YAMLNode.scalar(text, line: line)
      if let anchor = scalar.anchor { anchors[String(cString: anchor)] = node }
      add(node)
    case YAML_ALIAS_EVENT:
      let name = String(cString: event.data.alias.anchor)
      guard let node = anchors[name] else {
        throw YAMLSyntaxError(line: line, problem: "unknown alias *\(name)")
      }
      add(node)
    case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
      guard stack.count < YAMLNode.maximumDepth else {
        throw YAMLSyntaxError(line: line, problem: "collections nested deeper than \(YAMLNode.maximumDepth)")
      }
      let isMapping = event.type == YAML_MAPPING_START_EVENT
      let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
      stack.append(Open(isMapping: isMapping, line: line, anchor: anchor.map { String(cString: $0) }))
    case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
      let open = stack.removeLast()
      let node = open.node
      if let anchor = open.anchor { anchors[anchor] = node }
      add(node)
    case YAML_DOCUMENT_END_EVENT:
      documentDone = true
    default:
      break
    }
  }

  private mutating func add(_ node: YAMLNode) {
    guard let top = stack.last else {
      root = node
      return
    }
    if !top.isMapping {
      top.items.append(node)
    } else if let key = top.pendingKey {
      top.pairs.append((key: key, value: node))
      top.pendingKey = nil
    } else {
      top.pendingKey = node
    }
  }
}
