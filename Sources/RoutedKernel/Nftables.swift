import CNetlink
import Glibc
import RoutedCore

/// nfnetlink requests over one channel: reads of our tables' state, and batch commits. Reads answer with
/// arrays (a handful of our own objects), not sets or dictionaries: each distinct hashed key type costs
/// every hook call a run-time scan of the binary's protocol conformances.
final class Nftables {
  let channel: NetlinkChannel

  init(channel: NetlinkChannel) { self.channel = channel }

  private func dump(_ message: [UInt8], _ what: String) throws -> [NetlinkMessage] {
    let reply = try channel.request(message)
    if reply.error == ENOENT { return [] }
    if reply.error != 0 { throw SystemError.system(what, reply.error, detail: reply.detail) }
    return reply.messages
  }

  /// Which of our tables exist; foreign tables are read past, never touched.
  func tables() throws -> [OwnedTable] {
    try dump(NftMessage.getTables(sequence: channel.nextSequence()), "list tables").compactMap(NftReply.table)
  }

  /// The chains of our tables.
  func chains() throws -> [NftObjectName] {
    try dump(NftMessage.getChains(sequence: channel.nextSequence()), "list chains").compactMap(NftReply.chain)
  }

  /// The sets of our tables; a set whose key type we do not make is reported with a nil key type.
  func sets() throws -> [KernelSet] {
    try dump(NftMessage.getSets(sequence: channel.nextSequence()), "list sets").compactMap(NftReply.set)
  }

  /// The rules of one of our tables, in chain order.
  func rules(in table: OwnedTable) throws -> [KernelRule] {
    try dump(NftMessage.getRules(table, sequence: channel.nextSequence()), "list table \(table.rawValue)")
      .compactMap { NftReply.rule($0, in: table) }
  }

  /// For each queried element, its comment if it exists ("" when it has none), nil when absent.
  /// One datagram of single-element GETs: O(1) in the set's size, unlike a dump.
  func comments(of queries: [(OwnedSet, SetElementKey)]) throws -> [String?] {
    guard !queries.isEmpty else { return [] }
    var datagram: [UInt8] = []
    var sequences: [UInt32] = []
    for (set, key) in queries {
      let sequence = channel.nextSequence()
      sequences.append(sequence)
      datagram += NftMessage.getElement(set, key, sequence: sequence)
    }
    let replies = try channel.exchange(datagram, awaiting: sequences).replies
    return try zip(queries, replies).map { query, reply in
      if reply.error == ENOENT { return nil }
      if reply.error != 0 {
        throw SystemError.system("\(query.0): element \(query.1)", reply.error, detail: reply.detail)
      }
      let elements = reply.messages.flatMap { NftReply.elements($0, keyType: query.0.keyType) }
      guard let match = elements.first(where: { $0.key == query.1 }) else { return nil }
      return match.comment ?? ""
    }
  }

  /// Every element of a set with its comment.
  func elements(of set: OwnedSet) throws -> [(key: SetElementKey, comment: String?)] {
    try dump(NftMessage.getElements(set, sequence: channel.nextSequence()), "list \(set)").flatMap {
      NftReply.elements($0, keyType: set.keyType)
    }
  }

  /// Sends the batch as one transaction and reads every ACK; the first failing message becomes the error.
  func commit(_ batch: NftBatch) throws {
    guard !batch.isEmpty else { return }
    let begin = channel.nextSequence()
    var datagram = NftMessage.batchMarker(begin: true, sequence: begin)
    var sequences: [UInt32] = []
    for entry in batch.entries {
      let sequence = channel.nextSequence()
      sequences.append(sequence)
      datagram += entry.build(sequence)
    }
    datagram += NftMessage.batchMarker(begin: false, sequence: channel.nextSequence())
    let (replies, aborted) = try channel.exchange(datagram, awaiting: sequences, abortingOn: begin)
    if let aborted {
      throw SystemError.system("nftables transaction", aborted.error, detail: aborted.detail)
    }
    for (entry, reply) in zip(batch.entries, replies) where reply.error != 0 {
      throw SystemError.system(entry.description, reply.error, detail: reply.detail)
    }
    if batch.deletes { DeferredRelease.noteDeletingCommit() }
  }
}
