/// Decides which NICs of a domain routed-hook manages, and with which address and uplinks.
public enum GuestResolver {
  /// The managed NICs: on a guest network, with an address from metadata (first) or the config's `domains:`.
  public static func managedInterfaces(of domain: DomainDescription, config: HostConfig) throws(DomainError)
    -> [ManagedInterface]
  {
    let name = domain.identity.name
    // Only NICs on a guest network concern routed-hook: a domain without any is ignored whatever it lacks.
    let candidates = domain.interfaces.filter {
      config.guestNetwork(bridge: $0.sourceBridge, libvirtNetwork: $0.sourceNetwork) != nil
    }
    guard !candidates.isEmpty else { return [] }
    if let problem = domain.metadataProblem { throw DomainError(problem) }
    for nic in candidates { if let problem = nic.problem { throw DomainError(problem) } }
    let addresses = domain.metadata ?? config.domains[name] ?? []
    var managed: [ManagedInterface] = []
    for nic in domain.interfaces {
      guard let mac = nic.mac,
        let network = config.guestNetwork(bridge: nic.sourceBridge, libvirtNetwork: nic.sourceNetwork),
        let entry = addresses.first(where: { $0.mac == mac })
      else { continue }
      if let address = entry.address {
        // A guest from a peer host (migrated, or started here with its own address) keeps that address: it
        // lies in a peer subnet this network's uplinks route to, or in the fleet's BGP prefixes, and its /32
        // here is more specific than any route to its home host.
        let home =
          network.subnet.contains(address)
          ? network.subnet : visited(from: address, network: network, config: config)
        guard let home else {
          throw DomainError(
            "domain \(name): NIC \(mac) address \(address) is outside guest network '\(network.name)' (\(network.subnet))"
          )
        }
        if home == network.subnet {
          guard address != network.gateway.address, address != home.address, address != home.broadcast else {
            throw DomainError(
              "domain \(name): NIC \(mac) address \(address) is the gateway, network or broadcast address of '\(network.name)'"
            )
          }
        } else if address == home.address || address == home.broadcast {
          // No guest has its home subnet's network or broadcast address, there or here.
          throw DomainError(
            "domain \(name): NIC \(mac) address \(address) is the network or broadcast address of \(home), the subnet it visits from"
          )
        }
      }
      if let address6 = entry.address6 {
        guard let gateway6 = network.gateway6, let subnet6 = network.subnet6 else {
          throw DomainError(
            "domain \(name): NIC \(mac) has IPv6 address \(address6), but guest network '\(network.name)' has no gateway6"
          )
        }
        if let problem = GuestAddress.problem6(address6) {
          throw DomainError("domain \(name): NIC \(mac) address6: \(problem)")
        }
        let visitor =
          config.uplinks.contains { uplink in
            network.uplinks.contains(uplink.name) && uplink.peers.contains { $0.subnet6?.contains(address6) == true }
          } || config.bgp?.covers(.v6(address6)) == true
        guard subnet6.contains(address6) || visitor else {
          throw DomainError(
            "domain \(name): NIC \(mac) address6 \(address6) is outside guest network '\(network.name)' (\(subnet6))"
          )
        }
        guard address6 != gateway6.address, address6 != subnet6.address else {
          throw DomainError(
            "domain \(name): NIC \(mac) address6 \(address6) is the gateway6 or subnet-router anycast address of '\(network.name)'"
          )
        }
      }
      guard entry.address != nil || entry.address6 != nil else { continue }
      let uplinks = entry.uplinks ?? network.uplinks
      for uplink in uplinks where !network.uplinks.contains(uplink) {
        let allowed = network.uplinks.isEmpty ? "none" : network.uplinks.joined(separator: ", ")
        throw DomainError(
          "domain \(name): NIC \(mac) asks for uplink '\(uplink)', which guest network '\(network.name)' does not allow (allowed: \(allowed))"
        )
      }
      let nic = ManagedInterface(
        mac: mac, address: entry.address, address6: entry.address6, network: network.name,
        bridge: network.bridge, uplinks: uplinks)
      if let twin = managed.first(where: { other in other.addresses.contains { nic.addresses.contains($0) } }) {
        let shared = twin.addresses.first { nic.addresses.contains($0) }!
        throw DomainError("domain \(name): NICs \(twin.mac) and \(mac) both have address \(shared)")
      }
      managed.append(nic)
    }
    // Records, locks and log lines are keyed by name and UUID: a domain routed-hook acts on needs both.
    if !managed.isEmpty, let problem = domain.identityProblem { throw DomainError(problem) }
    return managed
  }

  /// The peer subnet (routed by one of the network's uplinks) or the fleet's BGP prefix that a visiting
  /// guest's address lies in; nil when it lies in none.
  static func visited(from address: IPv4Address, network: GuestNetwork, config: HostConfig) -> IPv4Network? {
    for uplink in config.uplinks where network.uplinks.contains(uplink.name) {
      if let peer = uplink.peers.first(where: { $0.subnet.contains(address) }) { return peer.subnet }
    }
    return config.bgp?.prefixes4.first { $0.contains(address) }
  }

  /// Refuses addresses that a guest running under another UUID already holds here.
  public static func checkConflicts(
    _ interfaces: [ManagedInterface], domain: DomainIdentity, records: [DomainRecord]
  ) throws(DomainError) {
    for record in records where record.domain.uuid != domain.uuid {
      for nic in interfaces {
        for address in nic.addresses {
          if let clash = record.interfaces.first(where: { $0.addresses.contains(address) }) {
            throw DomainError(
              "domain \(domain.name): address \(address) is already used by running domain \(record.domain.name) (NIC \(clash.mac))"
            )
          }
        }
      }
    }
  }
}
