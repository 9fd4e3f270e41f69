import Foundation
import Testing

/// The same host with both families: IPv6 guests in the production /64's range, each a /128 with a default
/// route via the shared link-local gateway fe80::1. What users notice: packets both ways, neighbour
/// solicitations answered by the host only for running guests, NAT66, IPv6 anti-spoofing, the guests' own
/// DAD left alone, and nothing left after a stop.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct DualStackBehaviourTests {
  /// Waits until no address in `namespace` is tentative (DAD done); true when none failed DAD.
  func dadSettled(_ namespace: String) throws -> Bool {
    for _ in 0..<40 {
      let tentative = try Shell.inNamespace(namespace, ["ip", "-6", "address", "show", "tentative"]).out
      if tentative.isEmpty { break }
      usleep(100_000)
    }
    return try Shell.inNamespace(namespace, ["ip", "-6", "address", "show", "dadfailed"]).out.isEmpty
  }

  @Test func bothFamiliesAreRoutedAndOnlyRunningGuestsAreAnswered() throws {
    let bed = try Testbed(guestCount: 2, dualStack: true)
    let g1 = bed.guests[0]
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)
    #expect(try dadSettled(g1))
    #expect(try !bed.ping(from: bed.production, Testbed.address6(0)), "nothing routes before the guest starts")
    #expect(try bed.ndpAnswer(from: bed.production, for: Testbed.address6(0)) == nil)

    try bed.start(0)
    #expect(try dadSettled(bed.host), "the host's own addresses (gateway6, fe80::1) pass DAD")

    // Scenario II: the production host reaches the guest on-link in its /64, answered by the OSA only.
    #expect(try bed.ping(from: g1, "fd00:10::7"))
    #expect(try bed.ping(from: bed.production, Testbed.address6(0)))
    #expect(try bed.ndpAnswer(from: bed.production, for: Testbed.address6(0)) == osaMAC)
    #expect(try bed.ndpAnswer(from: bed.production, for: Testbed.address6(1)) == nil, "guest 2 is not running")
    #expect(try bed.ndpAnswer(from: bed.production, for: "fd00:10::136:11:77") == nil, "an unused address")
    // IPv4 is unchanged next to it.
    #expect(try bed.ping(from: bed.production, Testbed.address(0)))
    #expect(try bed.arpAnswer(from: bed.production, for: Testbed.address(0)) == osaMAC)

    // TCP both ways over IPv6 (a listener on each side, one connect each).
    #expect(try bed.tcpConnects(from: bed.production, to: Testbed.address6(0), server: g1))
    #expect(try bed.tcpConnects(from: g1, to: "fd00:10::7", server: bed.production))

    // Scenario IV, NAT66: the intranet sees the host's intranet address and cannot reach the guest.
    try Shell.inNamespace(bed.intranet, ["nft", "add", "table", "ip6", "probe"])
    try Shell.inNamespace(
      bed.intranet, ["nft", "add", "chain", "ip6", "probe", "in", "{ type filter hook input priority 0; }"])
    for source in ["fd00:172:18::11", Testbed.address6(0)] {
      try Shell.inNamespace(
        bed.intranet,
        ["nft", "add", "rule", "ip6", "probe", "in", "ip6", "saddr", source, "icmpv6", "type", "echo-request", "counter"])
    }
    #expect(try bed.ping(from: g1, "fd00:172:18::1", count: 3))
    let counters = try Shell.inNamespace(bed.intranet, ["nft", "list", "table", "ip6", "probe"]).out
    #expect(counters.contains("ip6 saddr fd00:172:18::11 icmpv6 type echo-request counter packets 3"), "\(counters)")
    #expect(counters.contains("ip6 saddr \(Testbed.address6(0)) icmpv6 type echo-request counter packets 0"), "\(counters)")
    #expect(try !bed.ping(from: bed.intranet, Testbed.address6(0)), "nothing in the intranet reaches a guest")

    // Anti-spoofing: another source is dropped, the guest's own and its link-local traffic (NDP) pass.
    try Shell.inNamespace(g1, ["ip", "-6", "address", "add", "fd00:10::136:11:99/128", "dev", "eth0", "nodad"])
    #expect(try !bed.ping(from: g1, "fd00:10::7", source: "fd00:10::136:11:99"), "spoofed source must be dropped")
    #expect(try bed.ping(from: g1, "fd00:10::7", source: Testbed.address6(0)))
    #expect(try bed.ping(from: g1, "fe80::1%eth0"), "the link-local gateway answers the guest")

    // Kernel state, read with ip -j and /proc: a /128 of ours, a tagged proxy entry on the uplink only.
    let routes = try Shell.inNamespace(bed.host, ["ip", "-j", "-6", "route", "show", "proto", "151"]).out
    #expect(routes.contains(#""dst":"fd00:10::136:11:5","dev":"br-ex""#), "\(routes)")
    let proxies = try Shell.inNamespace(bed.host, ["ip", "-j", "-6", "neigh", "show", "proxy"]).out
    #expect(proxies.contains(#""dst":"fd00:10::136:11:5","dev":"osa10","proxy":null,"protocol":"151""#), "\(proxies)")
    #expect(!proxies.contains(#""dev":"br-ex""#), "never a proxy entry on the guests' bridge")
    #expect(try sysctl(bed.host, "ipv6/conf/osa10/proxy_ndp") == "1")
    #expect(try sysctl(bed.host, "ipv6/conf/br-ex/proxy_ndp") == "0")
    #expect(try sysctl(bed.host, "ipv6/conf/osa172/proxy_ndp") == "0")
    if FileManager.default.fileExists(atPath: "/proc/sys/net/ipv6/conf/all/force_forwarding") {
      #expect(try sysctl(bed.host, "ipv6/conf/all/forwarding") == "0", "per-interface force_forwarding only")
      #expect(try sysctl(bed.host, "ipv6/conf/br-ex/force_forwarding") == "1")
      #expect(try sysctl(bed.host, "ipv6/conf/lo/forwarding") == "0")
    }
    let addresses = try Shell.inNamespace(bed.host, ["ip", "-j", "-6", "address", "show", "dev", "br-ex"]).out
    #expect(addresses.contains(#""local":"fe80::1","prefixlen":64"#), "\(addresses)")
    #expect(addresses.contains(#""local":"fd00:10::136:11:fffe","prefixlen":112"#), "\(addresses)")

    // Stop: the /128 and the proxy entry are gone, nobody answers for the guest any more.
    try bed.stop(0)
    #expect(
      try !Shell.inNamespace(bed.host, ["ip", "-j", "-6", "route", "show", "proto", "151"]).out.contains("136:11:5"))
    #expect(try !Shell.inNamespace(bed.host, ["ip", "-j", "-6", "neigh", "show", "proxy"]).out.contains("136:11:5"))
    #expect(try bed.ndpAnswer(from: bed.production, for: Testbed.address6(0)) == nil)
    #expect(try !bed.ping(from: bed.production, Testbed.address6(0)))
    let status = try bed.status()
    #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
  }

  /// The pitfall's damage: a proxy entry for a guest's address on the guest's own side (with proxy_ndp on
  /// the bridge) answers the guest's DAD probe, and the guest never gets its address. routed-hook makes
  /// proxy entries on uplinks only, and refuses an uplink that is a guest bridge.
  @Test func aProxyEntryOnTheGuestPortBreaksTheGuestsDAD() throws {
    let bed = try Testbed(guestCount: 2, dualStack: true)
    try bed.start(0)
    #expect(try dadSettled(bed.guests[1]), "guest 2's address passed DAD while nothing answered for it")
    let ipv6IDs: Set = [
      "proxy-entry-on-guest-bridge", "proxy-entry-stale", "proxy-ndp-unused", "dad-failed",
      "guest-prefix-overlaps-uplink", "accept-ra-ignored",
    ]
    let healthy = try DoctorProcessTests().doctor(bed)
    #expect(!healthy.report.findings.contains { ipv6IDs.contains($0.id) }, "\(healthy.stdout)")
    // By hand, as an admin who proxies on every interface would.
    try Shell.inNamespace(bed.host, ["sysctl", "-qw", "net.ipv6.conf.br-ex.proxy_ndp=1"])
    try Shell.inNamespace(bed.host, ["ip", "-6", "neigh", "add", "proxy", Testbed.address6(1), "dev", "br-ex"])
    let g2 = bed.guests[1]
    try Shell.inNamespace(g2, ["ip", "-6", "address", "del", "\(Testbed.address6(1))/128", "dev", "eth0"])
    try Shell.inNamespace(g2, ["ip", "-6", "address", "add", "\(Testbed.address6(1))/128", "dev", "eth0"])
    #expect(try !dadSettled(g2), "the host answered the guest's DAD probe: dadfailed")
    // An entry of ours left for a guest that is not running (guest 2 never started here).
    try Shell.inNamespace(
      bed.host, ["ip", "-6", "neigh", "add", "proxy", Testbed.address6(1), "dev", "osa10", "protocol", "151"])
    let broken = try DoctorProcessTests().doctor(bed)
    #expect(broken.status == 1)
    let onBridge = try #require(broken.report.findings.first { $0.id == "proxy-entry-on-guest-bridge" }, "\(broken.stdout)")
    #expect(onBridge.severity == "critical" && onBridge.evidence["address"] == Testbed.address6(1))
    #expect(onBridge.fix == "ip -6 neigh del proxy \(Testbed.address6(1)) dev br-ex")
    let stale = try #require(broken.report.findings.first { $0.id == "proxy-entry-stale" }, "\(broken.stdout)")
    #expect(stale.evidence["interface"] == "osa10" && stale.evidence["domain"] == "none")

    let refused = try HookProcess.run(
      [
        "check", "--config",
        try bed.scratch.write(
          "bad.yaml",
          Testbed.dualStackConfig + "  - name: guests-side\n    interface: br-ex\n    mode: proxy-arp\n"),
      ])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("uplinks[2].interface: interface br-ex is already used by guestNetworks[0].bridge"), "\(refused.stderr)")
  }

  func sysctl(_ namespace: String, _ path: String) throws -> String {
    try Shell.inNamespace(namespace, ["cat", "/proc/sys/net/\(path)"]).out
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
