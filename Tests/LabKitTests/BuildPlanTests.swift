import Testing

@testable import LabKit

@Suite struct BuildPlanTests {
  let plan = BuildPlan(topology: try! TopologyParser.parse(minimalTopology), names: LabNames(lab: "t"))

  @Test func namespacesCarryTheLabPrefix() {
    #expect(plan.namespaces == ["rl-t-lan", "rl-t-kvm1", "rl-t-g1", "rl-t-prod"])
  }

  @Test func segmentLinksAreCreatedInsideTheirNamespaces() {
    #expect(
      plan.segmentLinks.map(\.batchLine) == [
        "link add osa10 netns rl-t-kvm1 type veth peer name kvm1 netns rl-t-lan",
        "link add eth0 netns rl-t-prod type veth peer name prod netns rl-t-lan",
      ])
  }

  @Test func segmentScriptBuildsTheBridgeWithOwnedPorts() {
    #expect(
      plan.script(for: "lan") == """
        set -e
        sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -b - <<'EOF'
        link set lo up
        link property add dev lo altname rl.t.lan.lo
        link add lan type bridge stp_state 0
        link property add dev lan altname rl.t.lan.lan
        link property add dev kvm1 altname rl.t.lan.kvm1
        link set kvm1 mtu 1500 master lan up
        link property add dev prod altname rl.t.lan.prod
        link set prod mtu 1500 master lan up
        link set lan mtu 1500 up
        EOF

        """)
  }

  /// `damage: HOST, recreate: IF`: the interface made again exactly as `up` made it, from both of its ends.
  @Test func anInterfaceIsRecreatedAsUpMadeIt() throws {
    let lines = try #require(plan.recreateLines(node: "kvm1", interface: "osa10"))
    #expect(lines.pair == "link add osa10 netns rl-t-kvm1 type veth peer name kvm1 netns rl-t-lan")
    #expect(lines.segment == "lan")
    #expect(lines.segmentSide == ["link property add dev kvm1 altname rl.t.lan.kvm1", "link set kvm1 mtu 1500 master lan up"])
    #expect(lines.nodeSide.prefix(3) == [
      "link property add dev osa10 altname rl.t.kvm1.osa10", "link set osa10 mtu 1500 up",
      "addr add 10.131.1.254/8 dev osa10",
    ])
    // Every line `up` wrote for the interface is among them.
    let script = plan.script(for: "kvm1")
    for line in lines.nodeSide where !line.hasPrefix("route ") { #expect(script.contains(line), "\(line)") }
    #expect(plan.recreateLines(node: "kvm1", interface: "nope") == nil)
  }

  @Test func hostScriptAddsUplinksButNoGuestGateway() {
    let script = plan.script(for: "kvm1")
    #expect(script.contains("link property add dev osa10 altname rl.t.kvm1.osa10"))
    #expect(script.contains("addr add 10.131.1.254/8 dev osa10"))
    // The gateway address on br-ex is routed-hook's job, never the lab's.
    #expect(!script.contains("10.136.1.254"))
    #expect(!script.contains("br-ex"))
  }

  @Test func bridgeNetfilterIsSetInTheHostsNamespaceOnlyWhenTheTopologySaysSo() throws {
    #expect(!plan.script(for: "kvm1").contains("bridge-nf-call"))
    for (setting, line) in [
      (
        "on",
        "sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 "
          + "net.bridge.bridge-nf-call-arptables=1"
      ),
      (
        "off",
        "if [ -d /proc/sys/net/bridge ]; then sysctl -qw net.bridge.bridge-nf-call-iptables=0 "
          + "net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0; fi"
      ),
    ] {
      let topology = try TopologyParser.parse(
        minimalTopology, override: SwitchOverride(kind: "linux-bridge", bridgeNetfilter: setting))
      let lines = BuildPlan(topology: topology, names: LabNames(lab: "t")).script(for: "kvm1").split(
        separator: "\n")
      // In the preamble, before the bridge exists and long before any guest starts.
      #expect(lines.firstIndex(of: Substring(line)) == 2, "\(lines)")
      #expect(lines.contains("link add br-ex type bridge stp_state 0"))
    }
  }

  @Test func guestScriptTurnsOffTxOffloadsOnOVS() {
    let guest = plan.topology.guest(named: "g1")!
    let script = plan.guestScript(guest, switchKind: .ovs)
    #expect(script.contains("ethtool -K eth0 tx off"))
    #expect(script.contains("link set eth0 address 52:54:00:88:01:05 mtu 9000 up"))
    #expect(script.contains("route add default via 10.136.1.254 dev eth0"))
    #expect(!plan.guestScript(guest, switchKind: .linuxBridge).contains("ethtool"))
  }

  @Test func aDualStackLabTurnsIPv6OnAndGuestsWaitForDAD() throws {
    let dual = try TopologyParser.parse(
      minimalTopology
        .replacingOccurrences(of: "address: 10.131.1.254/8 }", with: "address: 10.131.1.254/8, address6: 'fd00:10::131:1:254/64' }")
        .replacingOccurrences(of: "gateway: 10.136.1.254 }", with: "gateway: 10.136.1.254, address6: 'fd00:10::136:1:5/128', gateway6: 'fe80::1' }"))
    let plan = BuildPlan(topology: dual, names: LabNames(lab: "t"))
    #expect(plan.script(for: "kvm1").contains("sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0"))
    #expect(plan.script(for: "kvm1").contains("addr add fd00:10::131:1:254/64 dev osa10 nodad"))
    #expect(self.plan.script(for: "kvm1").contains("disable_ipv6=1"), "an IPv4-only lab keeps IPv6 off")
    let script = plan.guestScript(dual.guest(named: "g1")!, switchKind: .ovs)
    #expect(script.contains("addr add fd00:10::136:1:5/128 dev eth0\n"), "with DAD, as a guest OS does")
    #expect(script.contains("route add default via fe80::1 dev eth0"))
    #expect(script.contains("ip -6 address show dev eth0 dadfailed"))
    // A live-migrated guest's address was in use before the move: no DAD, no wait, in the NIC's switchover.
    let moved = plan.guestScript(dual.guest(named: "g1")!, switchKind: .ovs, migrated: true)
    #expect(moved.contains("addr add fd00:10::136:1:5/128 dev eth0 nodad\n"))
    #expect(moved.contains("route add default via fe80::1 dev eth0"))
    #expect(!moved.contains("tentative"))
    #expect(!self.plan.guestScript(self.plan.topology.guest(named: "g1")!, switchKind: .ovs).contains("-6"))
  }

  @Test func ovsPortsGetMTURequestAndLibvirtIds() {
    let guest = plan.topology.guest(named: "g1")!
    let arguments = plan.ovsPortArguments([guest], bridge: "br-ex")
    #expect(arguments.contains("mtu_request=9000"))
    #expect(arguments.contains("external_ids:attached-mac=\"52:54:00:88:01:05\""))
    #expect(Array(arguments.prefix(5)) == ["--", "--may-exist", "add-port", "br-ex", "vnet0"])
  }
}
