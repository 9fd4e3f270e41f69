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

  /// Composes the first document of `text`; nil for an empty stream.
  static func compose(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else {
      throw YAMLSyntaxError(line: nil, problem: "out of memory")
    }
    defer { yaml_parser_delete(&parser) }
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
        try composer.handle(&event)
        if composer.documentDone { return composer.root }
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
private struct Composer {
  enum Open {
    case mapping([(key: YAMLNode, value: YAMLNode)], pendingKey: YAMLNode?, line: Int, anchor: String?)
    case sequence([YAMLNode], line: Int, anchor: String?)
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
    case YAML_MAPPING_START_EVENT:
      stack.append(
        .mapping(
          [], pendingKey: nil, line: line, anchor: event.data.mapping_start.anchor.map { String(cString: $0) }
        ))
    case YAML_SEQUENCE_START_EVENT:
      stack.append(
        .sequence([], line: line, anchor: event.data.sequence_start.anchor.map { String(cString: $0) }))
    case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
      let node: YAMLNode
      let anchor: String?
      switch stack.removeLast() {
      case .mapping(let pairs, _, let start, let name):
        node = .mapping(pairs, line: start)
        anchor = name
      case .sequence(let items, let start, let name):
        node = .sequence(items, line: start)
        anchor = name
      }
      if let anchor { anchors[anchor] = node }
      add(node)
    case YAML_DOCUMENT_END_EVENT:
      documentDone = true
    default:
      break
    }
  }

  private mutating func add(_ node: YAMLNode) {
    guard let top = stack.popLast() else {
      root = node
      return
    }
    switch top {
    case .mapping(var pairs, let key, let line, let anchor):
      if let key {
        pairs.append((key: key, value: node))
        stack.append(.mapping(pairs, pendingKey: nil, line: line, anchor: anchor))
      } else {
        stack.append(.mapping(pairs, pendingKey: node, line: line, anchor: anchor))
      }
    case .sequence(var items, let line, let anchor):
      items.append(node)
      stack.append(.sequence(items, line: line, anchor: anchor))
    }
  }
}
