import Foundation
@testable import RoutedCore
import Testing

/// Doctor's checks on snapshots captured from real broken states (`Fixtures/doctor/capture.sh`) and from the
/// healthy seed lab: ids, severities and summaries are the lab's contract, so they are asserted exactly.
@Suite struct DoctorTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var snapshot: String
    var config: String?
    var expected: [(String, Finding.Severity, String)]
    var testDescription: String { "\(snapshot) with \(config ?? "no config")" }
  }

  static let cases: [Case] = [
    Case(
      snapshot: "shared-subnet", config: nil,
      expected: [
        (
          "proxy-arp-shared-subnet", .critical,
          "eth0 proxies ARP and shares subnet 10.1.0.0/24 with eth1: eth0 answers ARP for that subnet and the net goes dead"
        ),
        (
          "proxy-arp-unfiltered", .critical,
          "eth0 proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
        ),
      ]),
    // conf/all/proxy_arp turns it on everywhere: the kernel ORs it with each interface's own value.
    Case(
      snapshot: "shared-subnet-all", config: nil,
      expected: [
        (
          "proxy-arp-shared-subnet", .critical,
          "eth0 proxies ARP and shares subnet 10.1.0.0/16 with eth1: eth0 answers ARP for that subnet and the net goes dead"
        )
      ]
        + ["eth0", "eth0-peer", "eth1", "eth1-peer"].map {
          (
            "proxy-arp-unfiltered", .critical,
            "\($0) proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
          )
        }),
    // p1 has an nft arp rule, p2 a legacy arptables rule, l3 does no ARP: only p0 is unfiltered.
    Case(
      snapshot: "arp-filters", config: nil,
      expected: [
        (
          "proxy-arp-unfiltered", .critical,
          "p0 proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
        )
      ]),
    Case(
      snapshot: "forward-unfiltered", config: nil,
      expected: [
        (
          "forward-unfiltered", .critical,
          "IPv4 forwarding is on (ip_forward=1, interfaces: eth0, eth0-peer) with no forward filtering at all: "
            + "the host routes anything between its networks"
        )
      ]),
    Case(snapshot: "forward-legacy-drop", config: nil, expected: []),
    Case(
      snapshot: "mtu-linux-bridge", config: "mtu",
      expected: [
        (
          "mtu-mismatch-attached", .critical,
          "tap1 is attached to br0 with MTU 1500, below the guests' MTU 9000: frames over 1500 bytes from tap0 "
            + "(MTU 9000) die at tap1 (a bridge cannot fragment)"
        ),
        (
          "mtu-routed-ok", .info,
          "osa10 (MTU 1500) is routed from br0 (guest MTU 9000), not attached: the host fragments, so the larger guest MTU is safe"
        ),
      ]),
    Case(
      snapshot: "mtu-ovs", config: "mtu",
      expected: [
        (
          "mtu-mismatch-attached", .critical,
          "card0 is attached to br0 with MTU 1500, below the bridge's MTU 9000: frames over 1500 bytes from br0 "
            + "itself (MTU 9000), vnet0 (MTU 9000) die at card0 (a bridge cannot fragment)"
        )
      ]),
    // The talk's MTU pitfall on a host with no config: the bridge took its smallest port's MTU (1500), so only
    // the ports disagree.
    Case(
      snapshot: "mtu-linux-bridge", config: nil,
      expected: [
        (
          "mtu-mismatch-attached", .critical,
          "tap1 is attached to br0 with MTU 1500, below tap0's MTU 9000: frames over 1500 bytes from tap0 "
            + "(MTU 9000) die at tap1 (a bridge cannot fragment)"
        )
      ]),
    // Bridge netfilter off for the namespace, on for br-on through its own option; someone's forward policy drop.
    Case(
      snapshot: "bridge-netfilter", config: nil,
      expected: [
        (
          "bridge-netfilter", .info,
          "bridge netfilter is off for br-off: frames between its ports never reach netfilter, so its guests "
            + "reach each other whatever the forward policy, and anti-spoofing sees only routed traffic"
        ),
        (
          "bridge-netfilter", .info,
          "bridge netfilter is on for br-on (br-on nf_call_iptables=1): frames between its ports pass the forward "
            + "hook with br-on as input and output, so every forward chain must accept them for its guests to "
            + "reach each other"
        ),
      ]),
    Case(
      snapshot: "routed-broken", config: "routed",
      expected: [
        (
          "proxy-arp-unfiltered", .critical,
          "extra0 proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
        )
      ]
        + ["osa10", "hsi0", "osa172"].map {
          (
            "mtu-routed-ok", .info,
            "\($0) (MTU 1500) is routed from br-ex (guest MTU 9000), not attached: the host fragments, so the larger guest MTU is safe"
          )
        } + [
          (
            "multiple-paths", .critical,
            "10.136.11.5 is reachable through 2 interfaces (br-ex, osa10): requests and replies can take different paths"
          ),
          (
            "arp-answered-elsewhere", .critical,
            "10.136.11.6 (web02) is answered for by ARP on osa10 (uplink production), which its NIC may not use: a second path to the guest"
          ),
          ("forwarding-unmanaged", .warning, "extra0 forwards IPv4 but routed-hook does not manage it"),
          ("proxy-arp-unmanaged", .warning, "extra0 proxies ARP but routed-hook does not manage it"),
          (
            "foreign-forward-drop", .warning,
            "chain ip admin forward has policy drop on the forward hook: it also drops guest traffic routed-hook accepts (accept is not final across tables)"
          ),
          ("drift-missing", .warning, "web01: 1 recorded object(s) missing from the kernel"),
          ("drift-orphan", .warning, "2 object(s) owned by routed-hook are in no record"),
        ]),
    // Without the config, br-ex (a bridge holding a /24 inside osa10's /8) still reads as the talk's routed
    // guest network, not a second card on the LAN; its unfiltered proxy ARP is what doctor reports.
    Case(
      snapshot: "routed-broken", config: nil,
      expected: ["br-ex", "extra0"].map {
        (
          "proxy-arp-unfiltered", .critical,
          "\($0) proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
        )
      } + [
        (
          "multiple-paths", .critical,
          "10.136.11.5 is reachable through 2 interfaces (br-ex, osa10): requests and replies can take different paths"
        ),
        (
          "arp-answered-elsewhere", .critical,
          "10.136.11.6 (web02) is answered for by ARP (uplink production), which its NIC may not use: a second path to the guest"
        ),
        (
          "foreign-forward-drop", .warning,
          "chain ip admin forward has policy drop on the forward hook: it also drops guest traffic routed-hook accepts (accept is not final across tables)"
        ),
      ]),
    Case(
      snapshot: "healthy-seed-lpar11", config: "peer-off-link",
      expected: seedInfo + [
        (
          "peer-gateway-off-link", .critical,
          "route 10.136.12.0/24 via 172.31.57.2 dev hsi0: 172.31.57.2 is in no subnet of hsi0 (172.31.56.1/24)"
        )
      ]),
  ]

  /// The healthy seed's only findings: its 1500-byte OSA uplinks are routed, not attached.
  static let seedInfo: [(String, Finding.Severity, String)] = ["osa10", "osa172"].map {
    (
      "mtu-routed-ok", .info,
      "\($0) (MTU 1500) is routed from br-ex (guest MTU 57344), not attached: the host fragments, so the larger guest MTU is safe"
    )
  }

  @Test(arguments: cases) func findings(_ test: Case) throws {
    let findings = Doctor.findings(
      try Fixture.snapshot(test.snapshot), config: test.config.map(Fixture.doctorConfig))
    #expect(findings.map(\.id) == test.expected.map(\.0))
    #expect(findings.map(\.severity) == test.expected.map(\.1))
    #expect(findings.map(\.summary) == test.expected.map(\.2))
    #expect(findings.allSatisfy { !$0.fix.isEmpty && !$0.evidence.isEmpty && !$0.summary.contains("\n") })
  }

  @Test func healthySeedHasNoCriticalFinding() throws {
    let findings = Doctor.findings(
      try Fixture.snapshot("healthy-seed-lpar11"), config: Fixture.doctorConfig("seed-lpar11"))
    #expect(findings.map(\.id) == Self.seedInfo.map(\.0))
    #expect(findings.map(\.summary) == Self.seedInfo.map(\.2))
    #expect(!DoctorReport(findings: findings).hasCritical)
  }

  @Test func evidenceNamesInterfacesAddressesAndSysctls() throws {
    let shared = Doctor.findings(try Fixture.snapshot("shared-subnet-all"), config: nil)[0]
    #expect(
      shared.evidence == [
        "interface": "eth0", "address": "10.1.0.1/16", "other_interface": "eth1",
        "other_address": "10.1.7.1/24",
        "net.ipv4.conf.eth0.proxy_arp": "0", "net.ipv4.conf.eth1.proxy_arp": "0",
        "net.ipv4.conf.all.proxy_arp": "1",
      ])
    #expect(shared.fix == "sysctl -w net.ipv4.conf.all.proxy_arp=0, or move eth1 out of 10.1.0.0/16")

    let mtu = Doctor.findings(try Fixture.snapshot("mtu-ovs"), config: Fixture.doctorConfig("mtu"))[0]
    #expect(
      mtu.evidence == [
        "bridge": "br0", "bridge_kind": "ovs", "bridge_mtu": "9000", "port": "card0", "port_mtu": "1500",
        "guest_mtu": "9000", "ports": "card0 1500, vnet0 9000",
      ])
    #expect(
      mtu.fix
        == "ip link set card0 mtu 9000 (OVS: ovs-vsctl set interface card0 mtu_request=9000), or route to that network instead of attaching it"
    )

    let broken = Doctor.findings(
      try Fixture.snapshot("routed-broken"), config: Fixture.doctorConfig("routed"))
    let paths = try #require(broken.first { $0.id == "multiple-paths" })
    #expect(
      paths.evidence["routes"]
        == "10.136.11.5/32 dev br-ex proto 151; 10.136.11.5/32 dev osa10 proto boot metric 100")
    #expect(
      paths.fix
        == "ip route del 10.136.11.5/32 dev osa10 proto boot metric 100, so only br-ex reaches 10.136.11.5")
    let answered = try #require(broken.first { $0.id == "arp-answered-elsewhere" })
    #expect(answered.fix == "nft delete element arp routed_hook answer_production { 10.136.11.6 }")
    #expect(answered.evidence["allowed_uplinks"] == "hipersockets")
  }

  @Test func bridgeNetfilterSaysWhatItMeansForTheForwardPolicy() throws {
    let snapshot = try Fixture.snapshot("bridge-netfilter")
    let on = try #require(
      Doctor.findings(snapshot, config: nil).first { $0.evidence["bridge"] == "br-on" })
    #expect(
      on.evidence["net.bridge.bridge-nf-call-iptables"] == "0"
        && on.evidence["nf_call_iptables"] == "1")
    #expect(on.evidence["foreign_forward_drops"] == "inet admin forward")
    #expect(on.fix == "accept iifname \"br-on\" oifname \"br-on\" in inet admin forward")

    // Without br_netfilter no bridged frame reaches netfilter, whatever a bridge's own option says.
    var unloaded = snapshot
    unloaded.sysctls.bridgeNetfilter = HostSnapshot.BridgeNetfilter(loaded: false)
    #expect(
      Doctor.findings(unloaded, config: nil).map(\.summary)
        == ["br-off", "br-on"].map {
          "br_netfilter is not loaded: frames between the ports of \($0) never reach netfilter, so its guests "
            + "reach each other whatever the forward policy, and anti-spoofing sees only routed traffic"
        })

    // With a config: its guest bridges only, and what routed-hook's own chains do with bridged frames.
    var linux = try Fixture.snapshot("mtu-linux-bridge")
    linux.sysctls.bridgeNetfilter = HostSnapshot.BridgeNetfilter(
      loaded: true, callIptables: 1, callIp6tables: 1)
    let guests = Doctor.findings(linux, config: Fixture.doctorConfig("mtu")).filter {
      $0.id == "bridge-netfilter"
    }
    #expect(guests.map { $0.evidence["bridge"] } == ["br0"])
    #expect(
      guests.first?.summary
        == "bridge netfilter is on for br0 (bridge-nf-call-iptables=1, bridge-nf-call-ip6tables=1): frames between "
        + "its ports pass the forward "
        + "hook with br0 as input and output, so every forward chain must accept them for its guests to reach "
        + "each other")
    #expect(
      guests.first?.evidence["routed_hook"]
        == "forward accepts iifname \"br0\" oifname \"br0\"; prerouting drops bridged IPv4 and IPv6 frames from "
        + "addresses no running guest has")

    // Each family has its own switch: IPv6 alone through the namespace's sysctl, IPv4 alone through the bridge's
    // own option.
    var ipv6Only = linux
    ipv6Only.sysctls.bridgeNetfilter = HostSnapshot.BridgeNetfilter(
      loaded: true, callIptables: 0, callIp6tables: 1)
    let ipv6Finding = try #require(
      Doctor.findings(ipv6Only, config: Fixture.doctorConfig("mtu")).first { $0.id == "bridge-netfilter" })
    #expect(ipv6Finding.summary.hasPrefix("bridge netfilter is on for br0 (bridge-nf-call-ip6tables=1): "))
    #expect(
      ipv6Finding.evidence["routed_hook"]
        == "forward accepts iifname \"br0\" oifname \"br0\"; prerouting drops bridged IPv6 frames from addresses "
        + "no running guest has")

    // An Open vSwitch guest bridge: bridge netfilter never applies.
    var ovs = try Fixture.snapshot("mtu-ovs")
    ovs.sysctls.bridgeNetfilter = HostSnapshot.BridgeNetfilter(
      loaded: true, callIptables: 1, callIp6tables: 1)
    #expect(
      Doctor.findings(ovs, config: Fixture.doctorConfig("mtu")).first {
        $0.id == "bridge-netfilter"
      }?.summary
        == "br0 is an Open vSwitch bridge: bridge netfilter does not apply, frames between its ports never reach "
        + "netfilter, so its guests reach each other whatever the forward policy, and anti-spoofing sees only "
        + "routed traffic")
  }

  /// OVS on a host with no config: the bridge's own port took the smaller MTU, the ports disagree.
  @Test func ovsPortsThatDisagreeOnMTUAreFoundWithoutAConfig() {
    let snapshot = HostSnapshot(
      links: [
        HostSnapshot.Link(name: "br0", index: 2, mtu: 1500, kind: "openvswitch"),
        HostSnapshot.Link(name: "vnet0", index: 3, mtu: 9000, master: "ovs-system", kind: "tun"),
        HostSnapshot.Link(name: "card0", index: 4, mtu: 1500, master: "ovs-system"),
      ],
      ovs: [
        HostSnapshot.OVSBridge(
          name: "br0",
          ports: [
            HostSnapshot.OVSPort(name: "br0", type: "internal", mtu: 1500),
            HostSnapshot.OVSPort(name: "vnet0", mtu: 9000, mtuRequest: 9000),
            HostSnapshot.OVSPort(name: "card0", mtu: 1500),
          ])
      ])
    let findings = Doctor.findings(snapshot, config: nil)
    #expect(
      findings.map(\.summary) == [
        "card0 is attached to br0 with MTU 1500, below vnet0's MTU 9000: frames over 1500 bytes from vnet0 "
          + "(MTU 9000) die at card0 (a bridge cannot fragment)"
      ])
    #expect(
      findings.first?.fix
        == "ip link set card0 mtu 9000 (OVS: ovs-vsctl set interface card0 mtu_request=9000), "
        + "or route to that network instead of attaching it")
  }

  /// `prepare`'s checks: only the starting domain's bridge and addresses, critical findings only.
  @Test func startFindingsConcernOnlyTheStartingDomain() throws {
    func nic(_ address: String, bridge: String) -> ManagedInterface {
      ManagedInterface(
        mac: MACAddress("52:54:00:11:00:99")!, address: IPv4Address(address)!, network: "guests",
        bridge: bridge,
        uplinks: ["production"])
    }
    let seed = try Fixture.snapshot("healthy-seed-lpar11")
    let seedConfig = Fixture.doctorConfig("seed-lpar11")
    #expect(
      Doctor.startFindings(seed, config: seedConfig, interfaces: [nic("10.136.11.7", bridge: "br-ex")])
        .isEmpty)
    // A guest already running (its /32 is there) starts again without a second path.
    #expect(
      Doctor.startFindings(seed, config: seedConfig, interfaces: [nic("10.136.11.5", bridge: "br-ex")])
        .isEmpty)

    let broken = try Fixture.snapshot("routed-broken")
    let routed = Fixture.doctorConfig("routed")
    #expect(
      Doctor.startFindings(broken, config: routed, interfaces: [nic("10.136.11.5", bridge: "br-ex")]).map(
        \.id)
        == ["multiple-paths"])
    #expect(
      Doctor.startFindings(broken, config: routed, interfaces: [nic("10.136.11.8", bridge: "br-ex")]).isEmpty)

    let mtu = try Fixture.snapshot("mtu-linux-bridge")
    let findings = Doctor.startFindings(
      mtu, config: Fixture.doctorConfig("mtu"), interfaces: [nic("10.136.11.9", bridge: "br0")])
    #expect(findings.map(\.id) == ["mtu-mismatch-attached"], "the info about routed osa10 is not a refusal")
  }

  @Test func textModePrintsOneBlockPerFindingAndALastLine() throws {
    let report = DoctorReport(
      findings: Doctor.findings(try Fixture.snapshot("forward-unfiltered"), config: nil))
    let text = report.text
    #expect(text.hasPrefix("CRITICAL forward-unfiltered: IPv4 forwarding is on"))
    #expect(text.contains("\n  net.ipv4.ip_forward: 1\n"))
    #expect(text.contains("\n  fix: filter forwarding"))
    #expect(text.hasSuffix("\n\ndoctor: 1 critical, 0 warning, 0 info\n"))
    #expect(DoctorReport(findings: []).text == "doctor: no findings\n")
  }

  @Test func aSnapshotSurvivesJSON() throws {
    let snapshot = try Fixture.snapshot("routed-broken")
    let data = try JSONEncoder().encode(snapshot)
    #expect(try JSONDecoder().decode(HostSnapshot.self, from: data) == snapshot)
  }

  /// A snapshot's records are `routed-hook status`'s domains, migration claim included; one saved before the
  /// claim was kept (every fixture here) has none.
  @Test func aRecordKeepsItsClaimThroughJSON() throws {
    let saved = try Fixture.snapshot("routed-broken")
    #expect(!saved.records.isEmpty && saved.records.allSatisfy { $0.preference == nil })
    var leaving = saved
    leaving.records[0].preference = .leaving
    let data = try JSONEncoder().encode(leaving)
    #expect(String(decoding: data, as: UTF8.self).contains(#""preference":"leaving""#))
    #expect(try JSONDecoder().decode(HostSnapshot.self, from: data).records[0].preference == .leaving)
  }
}

extension Fixture {
  /// A snapshot saved by `routed-hook doctor --save-snapshot`, from `Fixtures/doctor/`.
  static func snapshot(_ name: String) throws -> HostSnapshot {
    try JSONDecoder().decode(HostSnapshot.self, from: Data(text("doctor/\(name).json").utf8))
  }

  /// A config from `Fixtures/doctor/`.
  static func doctorConfig(_ name: String) -> HostConfig {
    try! ConfigLoader.load(yaml: text("doctor/\(name).yaml"), file: "\(name).yaml")
  }
}
