@testable import RoutedCore
import Testing

/// Doctor's readers of the tools' output, on output recorded from the real tools on this machine.
@Suite struct SnapshotParserTests {
  @Test func routesKeepHostRoutesDefaultMultipathAndProtocolNumbers() {
    let text = """
      [{"dst":"default","gateway":"172.18.0.1","dev":"osa172","protocol":"3"},\
      {"dst":"10.0.0.0/24","dev":"br0","protocol":"2","scope":"253","prefsrc":"10.0.0.1"},\
      {"dst":"10.1.1.1","dev":"d0","protocol":"151","scope":"253"},\
      {"type":"blackhole","dst":"10.8.0.0/16","flags":[]},\
      {"dst":"10.9.0.0/24","protocol":"4","metric":5,"nexthops":[{"gateway":"10.0.0.2","dev":"br0","weight":1},\
      {"gateway":"10.0.0.3","dev":"hsi0","weight":1}]}]
      """
    #expect(
      SnapshotParser.routes(text).map(\.text) == [
        "0.0.0.0/0 via 172.18.0.1 dev osa172 proto boot",
        "10.0.0.0/24 dev br0 proto kernel",
        "10.1.1.1/32 dev d0 proto 151",
        "10.8.0.0/16 proto boot",
        "10.9.0.0/24 via 10.0.0.2 dev br0 dev hsi0 proto static metric 5",
      ])
  }

  @Test func nftablesChainsCountRulesAndCollectInputInterfaces() {
    let text = """
      {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, \
      {"table": {"family": "arp", "name": "t", "handle": 1}}, {"chain": {"family": "arp", "table": "t", "name": "input", \
      "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}, {"rule": {"family": "arp", \
      "table": "t", "chain": "input", "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, \
      "right": "v1"}}, {"drop": null}]}}, {"rule": {"family": "arp", "table": "t", "chain": "input", "handle": 4, \
      "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": {"set": ["v2", "br0"]}}}, \
      {"match": {"op": "==", "left": {"payload": {"protocol": "arp", "field": "operation"}}, "right": "request"}}, \
      {"drop": null}]}}, {"table": {"family": "inet", "name": "f", "handle": 2}}, {"set": {"family": "inet", "name": "s", \
      "table": "f", "type": ["ipv4_addr", "ifname"], "handle": 1, "elem": [{"elem": {"val": {"concat": ["10.0.0.5", \
      "v1"]}, "comment": "web"}}]}}, {"set": {"family": "inet", "name": "a", "table": "f", "type": "ipv4_addr", \
      "handle": 2, "elem": [{"elem": {"val": "10.0.0.6", "comment": "host"}}, "10.0.0.7"]}}, {"chain": {"family": \
      "inet", "table": "f", "name": "forward", "handle": 3, "type": "filter", "hook": "forward", "prio": 0, \
      "policy": "drop"}}]}
      """
    let tables = SnapshotParser.nftables(text)
    #expect(tables.map(\.qualifiedName) == ["arp t", "inet f"])
    #expect(
      tables[0].chains == [
        HostSnapshot.NftChain(
          name: "input", hook: "input", priority: 0, policy: "accept", ruleCount: 2,
          inputInterfaces: ["v1", "v2", "br0"])
      ])
    #expect(
      tables[1].chains == [
        HostSnapshot.NftChain(name: "forward", hook: "forward", priority: 0, policy: "drop")
      ])
    #expect(
      tables[1].sets == [
        HostSnapshot.NftSet(
          name: "s", elements: [HostSnapshot.NftElement(key: "10.0.0.5 . v1", comment: "web")]),
        HostSnapshot.NftSet(
          name: "a",
          elements: [
            HostSnapshot.NftElement(key: "10.0.0.6", comment: "host"),
            HostSnapshot.NftElement(key: "10.0.0.7"),
          ]),
      ])
  }

  @Test func legacyTablesGivePolicyAndRules() {
    let arp = SnapshotParser.arptables(
      "Chain INPUT (policy DROP)\n-j ACCEPT -i v1 -d 10.0.0.0/24 \n-j ACCEPT \n")
    #expect(arp == HostSnapshot.ArptablesFilter(inputPolicy: "DROP", inputInterfaces: ["v1", ""]))
    let forward = SnapshotParser.iptablesChain("-P FORWARD DROP\n-A FORWARD -i osa10 -j ACCEPT\n")
    #expect(forward == HostSnapshot.IptablesChain(policy: "DROP", ruleCount: 1))
  }

  @Test func ovsBridgesJoinPortsToInterfaces() {
    let bridges = """
      {"data":[["br0",["set",[["uuid","2447"],["uuid","6a16"],["uuid","73d5"]]]]],"headings":["name","ports"]}
      """
    let ports = """
      {"data":[[["uuid","6a16"],["uuid","91c3"]],[["uuid","73d5"],["uuid","4977"]],[["uuid","2447"],["uuid","acde"]]],\
      "headings":["_uuid","interfaces"]}
      """
    let interfaces = """
      {"data":[[["uuid","4977"],"p1","",["set",[]],["set",[]]],[["uuid","91c3"],"br0","internal",["set",[]],9000],\
      [["uuid","acde"],"p2","",1500,1500]],"headings":["_uuid","name","type","mtu","mtu_request"]}
      """
    #expect(
      SnapshotParser.ovs(bridges: bridges, ports: ports, interfaces: interfaces) == [
        HostSnapshot.OVSBridge(
          name: "br0",
          ports: [
            HostSnapshot.OVSPort(name: "br0", type: "internal", mtuRequest: 9000),
            HostSnapshot.OVSPort(name: "p1"),
            HostSnapshot.OVSPort(name: "p2", mtu: 1500, mtuRequest: 1500),
          ])
      ])
  }

  @Test func ipv6AddressesKeepStateFlagsAndProxyEntriesTheirNumericTag() {
    // `ip -j -6 address show` (the dadfailed and dynamic entries as ip prints a failed DAD and a SLAAC address).
    let addresses = """
      [{"ifindex":3,"link":"d1","ifname":"d0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,\
      "addr_info":[{"family":"inet6","local":"fd00::2","prefixlen":64,"scope":"global","nodad":true,\
      "valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fd00::1",\
      "prefixlen":64,"scope":"global","tentative":true,"dadfailed":true,"valid_life_time":4294967295},\
      {"family":"inet6","local":"2001:db8::386a:baff:fe48:36be","prefixlen":64,"scope":"global","dynamic":true,\
      "mngtmpaddr":true,"valid_life_time":86394,"preferred_life_time":14394}]}]
      """
    #expect(
      SnapshotParser.addresses6(addresses).map { "\($0.interface) \($0.address) \($0.flags)" } == [
        "d0 fd00::2/64 []", "d0 fd00::1/64 [\"dadfailed\", \"tentative\"]",
        "d0 2001:db8::386a:baff:fe48:36be/64 [\"dynamic\"]",
      ])
    let proxies = #"[{"dst":"fd00::5","dev":"d0","proxy":null,"protocol":"151"},{"dst":"fd00::6","dev":"d0","proxy":null}]"#
    #expect(
      SnapshotParser.proxyEntries(proxies) == [
        .init(address: IPv6Address("fd00::5")!, device: "d0", routeProtocol: "151"),
        .init(address: IPv6Address("fd00::6")!, device: "d0", routeProtocol: nil),
      ])
    let routes = #"[{"dst":"default","gateway":"fd00::9","dev":"d0","protocol":"9","metric":1024,"flags":[],"pref":"medium"}]"#
    #expect(SnapshotParser.defaultRoutes6(routes) == [.init(device: "d0", routeProtocol: "9")])
  }
}
