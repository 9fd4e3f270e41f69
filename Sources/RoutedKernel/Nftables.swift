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
    let messages = try dump(NftMessage.getTables(sequence: channel.nextSequence()), "list tables")
    return messages.compactMap { message in
      message.withHeader { header in
        let table = nftnl_table_alloc()!
        defer { nftnl_table_free(table) }
        guard nftnl_table_nlmsg_parse(header, table) >= 0 else { return nil }
        return OwnedTable(
          nfproto: nftnl_table_get_u32(table, UInt16(NFTNL_TABLE_FAMILY.rawValue)),
          name: String(cString: nftnl_table_get_str(table, UInt16(NFTNL_TABLE_NAME.rawValue))))
      }
    }
  }

  /// The chains of our tables.
  func chains() throws -> [NftObjectName] {
    let messages = try dump(NftMessage.getChains(sequence: channel.nextSequence()), "list chains")
    return messages.compactMap { message in
      message.withHeader { header -> NftObjectName? in
        let chain = nftnl_chain_alloc()!
        defer { nftnl_chain_free(chain) }
        guard nftnl_chain_nlmsg_parse(header, chain) >= 0,
          let table = OwnedTable(
            nfproto: nftnl_chain_get_u32(chain, UInt16(NFTNL_CHAIN_FAMILY.rawValue)),
            name: String(cString: nftnl_chain_get_str(chain, UInt16(NFTNL_CHAIN_TABLE.rawValue))))
        else { return nil }
        return NftObjectName(
          table: table, name: String(cString: nftnl_chain_get_str(chain, UInt16(NFTNL_CHAIN_NAME.rawValue)))
        )
      }
    }
  }

  /// The sets of our tables; a set whose key type we do not make is reported with a nil key type.
  func sets() throws -> [KernelSet] {
    let messages = try dump(NftMessage.getSets(sequence: channel.nextSequence()), "list sets")
    var result: [KernelSet] = []
    for message in messages {
      message.withHeader { header in
        let set = nftnl_set_alloc()!
        defer { nftnl_set_free(set) }
        guard nftnl_set_nlmsg_parse(header, set) >= 0,
          let table = OwnedTable(
            nfproto: nftnl_set_get_u32(set, UInt16(NFTNL_SET_FAMILY.rawValue)),
            name: String(cString: nftnl_set_get_str(set, UInt16(NFTNL_SET_TABLE.rawValue))))
        else { return }
        let name = String(cString: nftnl_set_get_str(set, UInt16(NFTNL_SET_NAME.rawValue)))
        let keyType = SetKeyType(
          nftType: nftnl_set_get_u32(set, UInt16(NFTNL_SET_KEY_TYPE.rawValue)),
          length: nftnl_set_get_u32(set, UInt16(NFTNL_SET_KEY_LEN.rawValue)))
        result.append(KernelSet(name: NftObjectName(table: table, name: name), keyType: keyType))
      }
    }
    return result
  }

  /// The rules of one of our tables, in chain order.
  func rules(in table: OwnedTable) throws -> [KernelRule] {
    let messages = try dump(
      NftMessage.getRules(table, sequence: channel.nextSequence()), "list table \(table.rawValue)")
    return messages.compactMap { message in
      message.withHeader { header -> KernelRule? in
        let rule = nftnl_rule_alloc()!
        defer { nftnl_rule_free(rule) }
        guard nftnl_rule_nlmsg_parse(header, rule) >= 0,
          String(cString: nftnl_rule_get_str(rule, UInt16(NFTNL_RULE_TABLE.rawValue))) == table.name
        else { return nil }
        var length: UInt32 = 0
        var tag: String?
        if let data = nftnl_rule_get_data(rule, UInt16(NFTNL_RULE_USERDATA.rawValue), &length) {
          tag = Userdata.comment(in: UnsafeRawBufferPointer(start: data, count: Int(length)))
        }
        return KernelRule(
          table: table, chain: String(cString: nftnl_rule_get_str(rule, UInt16(NFTNL_RULE_CHAIN.rawValue))),
          handle: nftnl_rule_get_u64(rule, UInt16(NFTNL_RULE_HANDLE.rawValue)), tag: tag)
      }
    }
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
