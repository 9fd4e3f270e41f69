import Foundation
import Testing

/// Scenario I on a Linux bridge, whatever bridge netfilter says. With `bridge-nf-call-iptables=1` (per network
/// namespace; Docker and Kubernetes hosts have it, and this kernel has it in every new namespace) or the
/// bridge's own `nf_call_iptables`, the kernel passes frames it bridges between two ports through the inet
/// prerouting and forward hooks, with the bridge as input and output device. routed-hook's forward chain
/// must let them through, and its prerouting chain must still drop a guest that claims an address no running
/// guest has. With bridge netfilter off the kernel never shows bridged frames to netfilter: the bridge
/// switches them, spoofed or not, as an OVS does.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct BridgeNetfilterProcessTests {
  enum Setting: String, CaseIterable, CustomTestStringConvertible {
    /// `net.bridge.bridge-nf-call-{iptables,ip6tables}=1` in the host's namespace.
    case namespaceSysctl
    /// The sysctls 0, the bridge's own `nf_call_iptables` and `nf_call_ip6tables` 1.
    case bridgeOption
    /// Both 0: bridged frames never reach netfilter.
    case off

    var testDescription: String { rawValue }
    var bridgedFramesReachNetfilter: Bool { self != .off }
  }

  /// Sets bridge netfilter in the testbed's host namespace and reads it back with independent tools.
  func configure(_ bed: Testbed, _ setting: Setting) throws {
    let sysctl = setting == .namespaceSysctl ? 1 : 0
    let option = setting == .bridgeOption ? 1 : 0
    let written = try Shell.inNamespace(
      bed.host,
      [
        "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=\(sysctl)",
        "net.bridge.bridge-nf-call-ip6tables=\(sysctl)",
      ], allowFailure: true)
    try #require(
      written.status == 0,
      "br_netfilter is not loaded (scripts/install-deps loads it): \(written.err)")
    try Shell.run([
      "ip", "-n", bed.host, "link", "set", "br-ex", "type", "bridge", "nf_call_iptables", "\(option)",
      "nf_call_ip6tables", "\(option)",
    ])
    let read = try Shell.inNamespace(bed.host, ["sysctl", "-n", "net.bridge.bridge-nf-call-iptables"]).out
    #expect(read.trimmingCharacters(in: .whitespacesAndNewlines) == "\(sysctl)")
    let link = try Shell.run(["ip", "-j", "-d", "-n", bed.host, "link", "show", "br-ex"]).out
    let info = try JSONSerialization.jsonObject(with: Data(link.utf8)) as! [[String: Any]]
    let data = (info.first?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
    #expect(data?["nf_call_iptables"] as? Int == option)
  }

  @Test(arguments: Setting.allCases)
  func guestsOnOneLinuxBridgeReachEachOther(setting: Setting) throws {
    let bed = try Testbed(guestCount: 2)
    defer { bed.destroy() }
    try configure(bed, setting)
    try bed.start(0)
    try bed.start(1)
    let (first, second) = (bed.guests[0], bed.guests[1])

    #expect(try bed.ping(from: first, Testbed.address(1)), "guest0 → guest1, \(setting)")
    #expect(try bed.ping(from: second, Testbed.address(0)), "guest1 → guest0, \(setting)")
    #expect(try bed.tcpConnects(from: first, to: Testbed.address(1), server: second), "tcp, \(setting)")
    #expect(try bed.tcpConnects(from: second, to: Testbed.address(0), server: first), "tcp back, \(setting)")
    // IPv6 between guests is theirs too: routed-hook routes IPv4 only and must not drop the rest.
    try Shell.run(["ip", "-n", first, "address", "add", "fd00:136::5/64", "dev", "eth0", "nodad"])
    try Shell.run(["ip", "-n", second, "address", "add", "fd00:136::6/64", "dev", "eth0", "nodad"])
    let ping6 = try Shell.inNamespace(
      first, ["ping", "-6", "-n", "-c", "3", "-W", "1", "-i", "0.2", "fd00:136::6"], allowFailure: true)
    #expect(ping6.status == 0, "IPv6 guest0 → guest1, \(setting): \(ping6.out)")

    // guest0 claims 10.136.11.99, which no running guest has.
    try Shell.run(["ip", "-n", first, "address", "add", "10.136.11.99/8", "dev", "eth0"])
    let spoofed = try bed.ping(from: first, Testbed.address(1), source: "10.136.11.99")
    #expect(
      spoofed == !setting.bridgedFramesReachNetfilter,
      "a spoofed source reaches the neighbour only where bridged frames bypass netfilter (\(setting))")
    // Its real address still works: the drop is about the source, not the guest.
    #expect(try bed.ping(from: first, Testbed.address(1), source: Testbed.address(0)))
  }

  /// The IPv6 form, with dual-stack guests: `dropSpoofed6` at prerouting sees a frame bridged from one guest to
  /// the other only where bridge netfilter passes IPv6 (`bridge-nf-call-ip6tables`, or the bridge's own
  /// `nf_call_ip6tables`). A guest with a /128 sends everything to fe80::1, so guest0 bridges to guest1 itself,
  /// as a hostile guest would: an on-link route and a neighbour entry with guest1's MAC. guest1 counts the
  /// echo requests that arrive from the spoofed source (its replies would go through the host, which drops
  /// them either way). With bridge netfilter off they arrive, which shows the frames were bridged, not routed.
  @Test(arguments: Setting.allCases)
  func aDualStackGuestsSpoofedIPv6SourceIsDroppedOnTheBridge(setting: Setting) throws {
    let bed = try Testbed(guestCount: 2, dualStack: true)
    defer { bed.destroy() }
    try configure(bed, setting)
    try bed.start(0)
    try bed.start(1)
    let (first, second) = (bed.guests[0], bed.guests[1])
    for namespace in [first, second, bed.host] {
      for _ in 0..<40 {
        if try Shell.inNamespace(namespace, ["ip", "-6", "address", "show", "tentative"]).out.isEmpty { break }
        usleep(100_000)
      }
    }
    try Shell.run(["ip", "-n", first, "-6", "route", "add", "\(Testbed.address6(1))/128", "dev", "eth0"])
    try Shell.run([
      "ip", "-n", first, "-6", "neigh", "replace", Testbed.address6(1), "lladdr", Testbed.mac(1), "dev", "eth0",
      "nud", "permanent",
    ])
    try Shell.inNamespace(second, ["nft", "add", "table", "ip6", "probe"])
    try Shell.inNamespace(
      second, ["nft", "add", "chain", "ip6", "probe", "in", "{ type filter hook input priority 0; }"])
    for source in [Testbed.address6(0), "fd00:10::136:11:99"] {
      try Shell.inNamespace(
        second,
        ["nft", "add", "rule", "ip6", "probe", "in", "ip6", "saddr", source, "icmpv6", "type", "echo-request", "counter"])
    }

    // Its own address: bridged, delivered, answered (the reply goes through the host).
    #expect(try bed.ping(from: first, Testbed.address6(1), source: Testbed.address6(0)), "\(setting)")
    // guest0 claims fd00:10::136:11:99, which no running guest has (nodad: it asks nobody).
    try Shell.run(["ip", "-n", first, "-6", "address", "add", "fd00:10::136:11:99/128", "dev", "eth0", "nodad"])
    _ = try bed.ping(from: first, Testbed.address6(1), source: "fd00:10::136:11:99")
    let counters = try Shell.inNamespace(second, ["nft", "list", "table", "ip6", "probe"]).out
    #expect(
      counters.contains("ip6 saddr \(Testbed.address6(0)) icmpv6 type echo-request counter packets 3"),
      "\(setting): \(counters)")
    let arrived = setting.bridgedFramesReachNetfilter ? 0 : 3
    #expect(
      counters.contains("ip6 saddr fd00:10::136:11:99 icmpv6 type echo-request counter packets \(arrived)"),
      "a spoofed IPv6 source reaches the neighbour only where bridged frames bypass netfilter (\(setting)): \(counters)")
  }
}
