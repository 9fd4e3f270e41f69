extension JSON {
  /// Every string in this value, recursively (for `iifname { "a", "b" }` right-hand sides).
  var strings: [String] {
    switch self {
    case .string(let value): [value]
    case .array(let values): values.flatMap(\.strings)
    case .object(let members): members.flatMap(\.value.strings)
    default: []
    }
  }
}

/// Turns the tools' output (`ip -j`, `nft -j`, `ovs-vsctl --format=json`, legacy `-L`/`-S`) into snapshot parts.
/// Anything unreadable is left out rather than guessed.
public enum SnapshotParser {
  /// Links from `ip -j -d link show`, with addresses from `ip -j -4 address show`.
  public static func links(_ linkText: String, addresses addressText: String) -> [HostSnapshot.Link] {
    var addresses: [String: [IPv4Interface]] = [:]
    for entry in JSON.parse(Array(addressText.utf8))?.array ?? [] {
      guard let name = entry["ifname"]?.string else { continue }
      addresses[name, default: []] += (entry["addr_info"]?.array ?? []).compactMap { info in
        guard info["family"]?.string == "inet", let local = info["local"]?.string.flatMap(IPv4Address.init),
          let length = info["prefixlen"]?.int
        else { return nil }
        return IPv4Interface(address: local, prefixLength: length)
      }
    }
    return (JSON.parse(Array(linkText.utf8))?.array ?? []).compactMap { entry in
      guard let name = entry["ifname"]?.string, let index = entry["ifindex"]?.int else { return nil }
      let kind = entry["linkinfo"]?["info_kind"]?.string
      let options = kind == "bridge" ? entry["linkinfo"]?["info_data"] : nil
      return HostSnapshot.Link(
        name: name, index: index, mtu: entry["mtu"]?.int ?? 0,
        flags: (entry["flags"]?.array ?? []).compactMap(\.string), master: entry["master"]?.string,
        kind: kind, addresses: addresses[name] ?? [], nfCallIptables: options?["nf_call_iptables"]?.int,
        nfCallIp6tables: options?["nf_call_ip6tables"]?.int)
    }
  }

  /// Routes from `ip -N -j -4 route show table main`; `dst` lacks `/32` for host routes and is `default` for /0.
  public static func routes(_ text: String) -> [HostSnapshot.Route] {
    (JSON.parse(Array(text.utf8))?.array ?? []).compactMap { entry in
      guard let dst = entry["dst"]?.string else { return nil }
      let destination: IPv4Network?
      if dst == "default" {
        destination = IPv4Network("0.0.0.0/0")
      } else if dst.contains("/") {
        destination = IPv4Network(dst)
      } else {
        destination = IPv4Address(dst).map(IPv4Network.host)
      }
      guard let destination else { return nil }
      let hops = entry["nexthops"]?.array ?? []
      let devices =
        hops.isEmpty ? [entry["dev"]?.string].compactMap { $0 } : hops.compactMap { $0["dev"]?.string }
      let gateway = (entry["gateway"] ?? hops.first?["gateway"])?.string.flatMap(IPv4Address.init)
      // `ip -N` prints numbers, so a local rt_protos name (routed-hook's own, say) cannot hide our protocol.
      let number = entry["protocol"]?.int ?? entry["protocol"]?.string.flatMap { Int($0) }
      let routeProtocol = number.map(HostSnapshot.Route.protocolName) ?? entry["protocol"]?.string ?? "boot"
      return HostSnapshot.Route(
        destination: destination, gateway: gateway, devices: devices, routeProtocol: routeProtocol,
        metric: entry["metric"]?.int)
    }
  }

  /// Tables, chains (hook, priority, policy, rule count, iifname matches) and sets from `nft -j list ruleset`.
  public static func nftables(_ text: String) -> [HostSnapshot.NftTable] {
    var tables: [HostSnapshot.NftTable] = []
    func index(_ family: String?, _ name: String?) -> Int? {
      tables.firstIndex { $0.family == family && $0.name == name }
    }
    for item in JSON.parse(Array(text.utf8))?["nftables"]?.array ?? [] {
      if let table = item["table"], let family = table["family"]?.string, let name = table["name"]?.string {
        tables.append(HostSnapshot.NftTable(family: family, name: name))
      } else if let chain = item["chain"], let at = index(chain["family"]?.string, chain["table"]?.string),
        let name = chain["name"]?.string
      {
        tables[at].chains.append(
          HostSnapshot.NftChain(
            name: name, hook: chain["hook"]?.string, priority: chain["prio"]?.int,
            policy: chain["policy"]?.string))
      } else if let rule = item["rule"], let at = index(rule["family"]?.string, rule["table"]?.string),
        let chainAt = tables[at].chains.firstIndex(where: { $0.name == rule["chain"]?.string })
      {
        tables[at].chains[chainAt].ruleCount += 1
        for expression in rule["expr"]?.array ?? [] {
          guard let match = expression["match"], match["left"]?["meta"]?["key"]?.string == "iifname",
            match["op"]?.string == "==" || match["op"]?.string == "in"
          else { continue }
          for name in match["right"]?.strings ?? []
          where !tables[at].chains[chainAt].inputInterfaces.contains(name) {
            tables[at].chains[chainAt].inputInterfaces.append(name)
          }
        }
      } else if let set = item["set"], let at = index(set["family"]?.string, set["table"]?.string),
        let name = set["name"]?.string
      {
        let elements = (set["elem"]?.array ?? []).map { element -> HostSnapshot.NftElement in
          let inner = element["elem"]
          let value = inner?["val"] ?? element
          let key =
            value["concat"].map { ($0.array ?? []).compactMap(\.string).joined(separator: " . ") } ?? value
            .string
            ?? ""
          return HostSnapshot.NftElement(key: key, comment: inner?["comment"]?.string)
        }
        tables[at].sets.append(HostSnapshot.NftSet(name: name, elements: elements))
      }
    }
    return tables
  }

  /// `arptables-legacy -L INPUT -n`: `Chain INPUT (policy DROP)`, then one rule per line (`-j ACCEPT -i osa10 …`).
  public static func arptables(_ text: String) -> HostSnapshot.ArptablesFilter {
    var filter = HostSnapshot.ArptablesFilter(inputPolicy: "ACCEPT")
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ").map(String.init)
      if words.first == "Chain", let at = words.firstIndex(of: "(policy"), at + 1 < words.count {
        filter.inputPolicy = String(words[at + 1].prefix { $0 != ")" })
      } else if words.first?.hasPrefix("-") == true {
        let interface = words.firstIndex(of: "-i").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        filter.inputInterfaces.append(interface ?? "")
      }
    }
    return filter
  }

  /// `iptables-legacy -S FORWARD`: `-P FORWARD DROP`, then `-A FORWARD …` per rule.
  public static func iptablesChain(_ text: String) -> HostSnapshot.IptablesChain {
    var chain = HostSnapshot.IptablesChain(policy: "ACCEPT", ruleCount: 0)
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ")
      if words.first == "-P", words.count >= 3 { chain.policy = String(words[2]) }
      if words.first == "-A" { chain.ruleCount += 1 }
    }
    return chain
  }

  /// OVS bridges from three `ovs-vsctl --format=json list` tables (Bridge, Port, Interface).
  public static func ovs(bridges: String, ports: String, interfaces: String) -> [HostSnapshot.OVSBridge] {
    func rows(_ text: String) -> [[String: JSON]] {
      guard let document = JSON.parse(Array(text.utf8)) else { return [] }
      let headings = (document["headings"]?.array ?? []).compactMap(\.string)
      return (document["data"]?.array ?? []).map { row in
        Dictionary(zip(headings, row.array ?? []), uniquingKeysWith: { a, _ in a })
      }
    }
    /// OVSDB JSON: `["uuid", U]`, `["set", [...]]`, or a bare atom; an empty set means "no value".
    func atoms(_ value: JSON?) -> [JSON] {
      guard let value else { return [] }
      let parts = value.array ?? []
      if parts.count == 2, parts[0].string == "set" { return (parts[1].array ?? []).flatMap { atoms($0) } }
      if parts.count == 2, parts[0].string == "uuid" { return [parts[1]] }
      return [value]
    }
    var interfaceByID: [String: HostSnapshot.OVSPort] = [:]
    for row in rows(interfaces) {
      guard let id = atoms(row["_uuid"]).first?.string, let name = row["name"]?.string else { continue }
      interfaceByID[id] = HostSnapshot.OVSPort(
        name: name, type: row["type"]?.string ?? "", mtu: atoms(row["mtu"]).first?.int,
        mtuRequest: atoms(row["mtu_request"]).first?.int)
    }
    var interfacesOfPort: [String: [String]] = [:]
    for row in rows(ports) {
      guard let id = atoms(row["_uuid"]).first?.string else { continue }
      interfacesOfPort[id] = atoms(row["interfaces"]).compactMap(\.string)
    }
    return rows(bridges).compactMap { row in
      guard let name = row["name"]?.string else { return nil }
      let ports = atoms(row["ports"]).compactMap(\.string).flatMap { interfacesOfPort[$0] ?? [] }
        .compactMap { interfaceByID[$0] }.sorted { $0.name < $1.name }
      return HostSnapshot.OVSBridge(name: name, ports: ports)
    }.sorted { $0.name < $1.name }
  }

  /// `ip -j -6 address show`: every IPv6 address with the state flags `ip` sets to true.
  public static func addresses6(_ text: String) -> [HostSnapshot.IPv6State.Address] {
    var result: [HostSnapshot.IPv6State.Address] = []
    for entry in JSON.parse(Array(text.utf8))?.array ?? [] {
      guard let name = entry["ifname"]?.string else { continue }
      for info in entry["addr_info"]?.array ?? [] {
        guard info["family"]?.string == "inet6", let local = info["local"]?.string.flatMap(IPv6Address.init),
          let length = info["prefixlen"]?.int
        else { continue }
        let flags = ["dadfailed", "tentative", "dynamic", "permanent", "deprecated"].filter {
          info[$0]?.bool == true
        }
        result.append(.init(interface: name, address: IPv6Interface(address: local, prefixLength: length), flags: flags))
      }
    }
    return result
  }

  /// `ip -N -j -6 neigh show proxy`.
  public static func proxyEntries(_ text: String) -> [HostSnapshot.IPv6State.ProxyEntry] {
    (JSON.parse(Array(text.utf8))?.array ?? []).compactMap { entry in
      guard let address = entry["dst"]?.string.flatMap(IPv6Address.init), let device = entry["dev"]?.string
      else { return nil }
      let proto = entry["protocol"]?.string ?? entry["protocol"]?.int.map { "\($0)" }
      return .init(address: address, device: device, routeProtocol: proto)
    }
  }

  /// `ip -N -j -6 route show default`.
  public static func defaultRoutes6(_ text: String) -> [HostSnapshot.IPv6State.DefaultRoute] {
    (JSON.parse(Array(text.utf8))?.array ?? []).compactMap { entry in
      guard let device = entry["dev"]?.string else { return nil }
      let proto = entry["protocol"]?.string ?? entry["protocol"]?.int.map { "\($0)" } ?? ""
      return .init(device: device, routeProtocol: proto)
    }
  }
}
