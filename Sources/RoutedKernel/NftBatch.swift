import RoutedCore

/// The messages of one nftables transaction, built when committed so each gets its sequence number;
/// every message keeps a description so a failure names the object that caused it.
struct NftBatch {
  struct Entry {
    /// `set inet routed_hook egress: element 10.136.11.5 . "osa10"` and the like.
    var description: String
    var build: (_ sequence: UInt32) -> [UInt8]
    var deletes: Bool
  }

  private(set) var entries: [Entry] = []
  /// A few sets per batch; a `[String: UInt32]` would be the only hashed String in `stopped`, costing it a
  /// run-time scan of the binary's protocol conformances.
  private var setIDs: [(table: OwnedTable, name: String)] = []

  var isEmpty: Bool { entries.isEmpty }

  init() {}

  /// The messages of a transaction the core decided.
  init(_ operations: [NftOperation]) {
    for operation in operations {
      switch operation {
      case .addTable(let table): addTable(table)
      case .deleteTable(let table): deleteTable(table)
      case .addSet(let set): addSet(set)
      case .deleteSet(let set): deleteSet(set)
      case .addChain(let chain): addChain(chain)
      case .deleteChain(let chain): deleteChain(chain)
      case .addRule(let rule, let chain): addRule(rule, in: chain)
      case .deleteRule(let rule): deleteRule(rule)
      case .addElement(let set, let key, let comment): addElement(set, key, comment: comment)
      case .deleteElement(let set, let key): deleteElement(set, key)
      }
    }
  }
  /// Whether committing costs an RCU grace period.
  var deletes: Bool { entries.contains(where: \.deletes) }

  mutating func append(_ description: String, deletes: Bool = false, _ build: @escaping (UInt32) -> [UInt8]) {
    entries.append(Entry(description: description, build: build, deletes: deletes))
  }

  /// A batch-local id for a set, so rules in the same transaction can refer to a set it creates.
  mutating func setID(table: OwnedTable, name: String) -> UInt32 {
    if let index = setIDs.firstIndex(where: { $0.table == table && $0.name == name }) {
      return UInt32(index + 1)
    }
    setIDs.append((table, name))
    return UInt32(setIDs.count)
  }

  // MARK: typed helpers

  mutating func addTable(_ table: OwnedTable) {
    append("table \(table.rawValue)") { NftMessage.newTable(table, sequence: $0) }
  }

  mutating func deleteTable(_ table: OwnedTable) {
    append("table \(table.rawValue)", deletes: true) { NftMessage.deleteTable(table, sequence: $0) }
  }

  mutating func addSet(_ set: OwnedSet) {
    let id = setID(table: set.table, name: set.name)
    append(set.description) { NftMessage.newSet(set, id: id, sequence: $0) }
  }

  mutating func deleteSet(_ set: OwnedSet) {
    append(set.description, deletes: true) { NftMessage.deleteSet(set, sequence: $0) }
  }

  mutating func addChain(_ chain: OwnedChain) {
    append("chain \(chain.table.rawValue) \(chain.name)") { NftMessage.newChain(chain, sequence: $0) }
  }

  mutating func deleteChain(_ chain: NftObjectName) {
    append("chain \(chain.table.rawValue) \(chain.name)", deletes: true) {
      NftMessage.deleteChain(table: chain.table, name: chain.name, sequence: $0)
    }
  }

  mutating func addRule(_ rule: Rule, in chain: OwnedChain) {
    let ids = rule.setNames.map { (name: $0, id: setID(table: chain.table, name: $0)) }
    append("rule \(chain.table.rawValue) \(chain.name) \"\(rule.tag)\"") { sequence in
      NftMessage.newRule(
        rule, in: chain, setID: { name in ids.first { $0.name == name }?.id ?? 0 }, sequence: sequence)
    }
  }

  mutating func deleteRule(_ rule: KernelRule) {
    append(
      "rule \(rule.table.rawValue) \(rule.chain) handle \(rule.handle) \"\(rule.tag ?? "")\"", deletes: true
    ) {
      NftMessage.deleteRule(table: rule.table, chain: rule.chain, handle: rule.handle, sequence: $0)
    }
  }

  mutating func addElement(_ set: OwnedSet, _ key: SetElementKey, comment: String) {
    let id = setID(table: set.table, name: set.name)
    append("\(set): element \(key)") {
      NftMessage.newElement(set, key, comment: comment, setID: id, sequence: $0)
    }
  }

  mutating func deleteElement(_ set: OwnedSet, _ key: SetElementKey) {
    append("\(set): element \(key)", deletes: true) { NftMessage.deleteElement(set, key, sequence: $0) }
  }
}

extension Rule {
  /// The sets the rule looks up.
  var setNames: [String] {
    switch self {
    case .dropSpoofed(_, let set), .acceptEgress(_, let set), .acceptIngress(_, let set),
      .masquerade(let set),
      .dropARPRequests(_, let set), .dropSpoofed6(_, let set), .acceptEgress6(_, let set),
      .acceptIngress6(_, let set), .masquerade6(let set):
      [set]
    case .acceptBridged, .acceptReplies, .dropFromBridge, .dropToBridge: []
    }
  }
}
