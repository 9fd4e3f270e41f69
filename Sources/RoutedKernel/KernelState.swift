import RoutedCore

/// Kernel state read at most once per public call: our tables, chains, sets and rules, and the addresses.
final class KernelState {
  let rtnetlink: Rtnetlink
  let nftables: Nftables
  private var cachedTables: [OwnedTable]?
  private var cachedChains: [NftChainName]?
  private var cachedSets: [(name: NftChainName, keyType: SetKeyType?)]?
  private var cachedRules: [(table: OwnedTable, rules: [NftRuleInfo])] = []
  private var cachedAddresses: [KernelAddress]?

  init(rtnetlink: Rtnetlink, nftables: Nftables) {
    self.rtnetlink = rtnetlink
    self.nftables = nftables
  }

  func tables() throws -> [OwnedTable] {
    if let cachedTables { return cachedTables }
    let tables = try nftables.tables()
    cachedTables = tables
    return tables
  }

  func chains() throws -> [NftChainName] {
    if let cachedChains { return cachedChains }
    let chains = try nftables.chains()
    cachedChains = chains
    return chains
  }

  func sets() throws -> [(name: NftChainName, keyType: SetKeyType?)] {
    if let cachedSets { return cachedSets }
    let sets = try nftables.sets()
    cachedSets = sets
    return sets
  }

  /// Whether the kernel has a set of this table and name (of whatever key type).
  func hasSet(_ set: OwnedSet) throws -> Bool {
    try sets().contains { $0.name.table == set.table && $0.name.name == set.name }
  }

  /// Our tagged rules of a chain, in kernel order.
  func ourRules(in chain: OwnedChain) throws -> [NftRuleInfo] {
    try ourRules(table: chain.table, chain: chain.name)
  }

  func ourRules(table: OwnedTable, chain: String) throws -> [NftRuleInfo] {
    guard try tables().contains(table) else { return [] }
    let rules: [NftRuleInfo]
    if let cached = cachedRules.first(where: { $0.table == table }) {
      rules = cached.rules
    } else {
      rules = try nftables.rules(in: table)
      cachedRules.append((table, rules))
    }
    return rules.filter { $0.chain == chain && $0.tag.map(Rule.isTag) == true }
  }

  func addresses() throws -> [KernelAddress] {
    if let cachedAddresses { return cachedAddresses }
    let addresses = try rtnetlink.addresses()
    cachedAddresses = addresses
    return addresses
  }

  /// The address on the named interface, if both exist.
  func address(_ address: IPv4Interface, on name: String) throws -> KernelAddress? {
    guard let link = try rtnetlink.link(named: name) else { return nil }
    return try addresses().first { $0.index == link.index && $0.address == address }
  }

  func hasAddress(_ address: IPv4Interface, on name: String) throws -> Bool {
    try self.address(address, on: name) != nil
  }
}
