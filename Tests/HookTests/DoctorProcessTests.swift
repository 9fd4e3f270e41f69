import Foundation
import Testing

/// `routed-hook doctor` and the hook's `prepare` guard against a broken state built by hand in throwaway
/// namespaces (the testbed's host: a Linux bridge br-ex at MTU 9000, osa10, osa172).
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct DoctorProcessTests {
  struct Report: Decodable {
    struct Finding: Decodable {
      var id: String
      var severity: String
      var summary: String
      var evidence: [String: String]
      var fix: String
    }
    var findings: [Finding]
  }

  func doctor(_ bed: Testbed, _ arguments: [String] = []) throws -> (
    status: Int32, report: Report, stdout: String
  ) {
    let result = try HookProcess.run(
      ["doctor", "--json", "--config", bed.configPath, "--state-dir", bed.stateDirectory] + arguments,
      namespace: bed.host)
    return (
      result.status, try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)), result.stdout
    )
  }

  @Test func anAttachedPortBelowTheBridgeMTUIsNamedAndRefusesTheStart() throws {
    let bed = try Testbed(guestCount: 1)
    defer { bed.destroy() }
    try bed.start(0)
    let healthy = try doctor(bed)
    #expect(healthy.status == 0, "\(healthy.stdout)")
    #expect(!healthy.report.findings.contains { $0.severity == "critical" }, "\(healthy.stdout)")

    // The admin lowers the guest's port to the card's MTU, bypassing routed-hook.
    try Shell.run(["ip", "-n", bed.host, "link", "set", "vnet0", "mtu", "1500"])
    let broken = try doctor(bed)
    #expect(broken.status == 1)
    let finding = try #require(
      broken.report.findings.first { $0.id == "mtu-mismatch-attached" }, "\(broken.stdout)")
    #expect(finding.severity == "critical")
    #expect(
      finding.summary
        == "vnet0 is attached to br-ex with MTU 1500, below the bridge's MTU 9000: frames over 1500 bytes from br-ex itself (MTU 9000) die at vnet0 (a bridge cannot fragment)"
    )
    #expect(finding.evidence["port_mtu"] == "1500" && finding.evidence["bridge_mtu"] == "9000")
    #expect(broken.stdout.hasPrefix("{\"findings\":[{") && broken.stdout.hasSuffix("}]}\n"))

    try bed.stop(0)
    let refused = try bed.hook(0, "prepare", "begin")
    #expect(refused.status == 1)
    #expect(
      refused.stderr
        == "routed-hook: prepare guest0: refusing to start: mtu-mismatch-attached: vnet0 is attached to br-ex with MTU 1500, below the bridge's MTU 9000: frames over 1500 bytes from br-ex itself (MTU 9000) die at vnet0 (a bridge cannot fragment)\n"
    )
    #expect(refused.stdout.isEmpty)

    try Shell.run(["ip", "-n", bed.host, "link", "set", "vnet0", "mtu", "9000"])
    #expect(try bed.hook(0, "prepare", "begin").status == 0)
  }

  /// The talk's MTU pitfall built by hand on a host routed-hook never touched, as its admin would: a guest port
  /// at 9000 and a card at 1500 on one Linux bridge whose MTU nobody set, so Linux gives the bridge 1500 and
  /// only the ports disagree. doctor, without a config, must name it.
  @Test func portsOfOneBridgeThatDisagreeOnMTUAreFoundWithoutAConfig() throws {
    let id = String(UUID().uuidString.prefix(6)).lowercased()
    let (host, guest, lan) = ("rhk-\(id)-host", "rhk-\(id)-guest", "rhk-\(id)-lan")
    defer {
      for namespace in [host, guest, lan] {
        _ = try? Shell.run(["ip", "netns", "del", namespace], allowFailure: true)
      }
    }
    for namespace in [host, guest, lan] { try Shell.run(["ip", "netns", "add", namespace]) }
    try Shell.run(["ip", "-n", host, "link", "add", "br0", "type", "bridge"])
    try Shell.run([
      "ip", "-n", host, "link", "add", "vnet0", "mtu", "9000", "type", "veth", "peer", "eth0", "netns", guest,
    ])
    try Shell.run(["ip", "-n", host, "link", "add", "eth1", "type", "veth", "peer", "eth0", "netns", lan])
    for port in ["vnet0", "eth1"] {
      try Shell.run(["ip", "-n", host, "link", "set", port, "master", "br0", "up"])
    }
    try Shell.run(["ip", "-n", host, "link", "set", "br0", "up"])
    try Shell.run(["ip", "-n", guest, "link", "set", "eth0", "mtu", "9000", "up"])
    try Shell.run(["ip", "-n", guest, "address", "add", "10.1.0.5/24", "dev", "eth0"])
    try Shell.run(["ip", "-n", lan, "link", "set", "eth0", "up"])
    try Shell.run(["ip", "-n", lan, "address", "add", "10.1.0.10/24", "dev", "eth0"])
    // The kernel gave the bridge its smallest port's MTU, read back independently.
    let bridge = try Shell.run(["ip", "-j", "-n", host, "link", "show", "br0"]).out
    #expect(bridge.contains("\"mtu\":1500"), "\(bridge)")

    // The damage: small frames cross the bridge, a 4000-byte ping from the guest dies at eth1. DF, because
    // with bridge netfilter on the kernel refragments bridged IPv4 without it (br_nf_dev_queue_xmit).
    func ping(size: Int) throws -> Bool {
      try Shell.inNamespace(
        guest, ["ping", "-n", "-c", "2", "-W", "1", "-i", "0.2", "-M", "do", "-s", "\(size)", "10.1.0.10"],
        allowFailure: true
      ).status == 0
    }
    #expect(try ping(size: 56))
    #expect(try !ping(size: 4000))

    let scratch = try ScratchDirectory()
    let result = try HookProcess.run(
      ["doctor", "--json", "--state-dir", scratch.url.appendingPathComponent("state").path],
      environment: ["ROUTED_HOOK_CONFIG": "/nonexistent"], namespace: host)
    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
    let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
    let finding = try #require(report.findings.first { $0.id == "mtu-mismatch-attached" }, "\(result.stdout)")
    #expect(finding.severity == "critical")
    #expect(
      finding.summary
        == "eth1 is attached to br0 with MTU 1500, below vnet0's MTU 9000: frames over 1500 bytes from vnet0 "
        + "(MTU 9000) die at eth1 (a bridge cannot fragment)")
    #expect(finding.evidence["bridge"] == "br0" && finding.evidence["bridge_mtu"] == "1500")
    #expect(finding.evidence["ports"] == "eth1 1500, vnet0 9000")
    #expect(
      report.findings.filter { $0.id == "mtu-mismatch-attached" }.count == 1,
      "vnet0 itself is not below anyone")
  }

  @Test func aSecondRouteToAGuestRefusesItsStart() throws {
    let bed = try Testbed(guestCount: 1)
    defer { bed.destroy() }
    try Shell.run(["ip", "-n", bed.host, "route", "add", "10.136.11.5/32", "dev", "osa10"])
    let refused = try bed.hook(0, "prepare", "begin")
    #expect(refused.status == 1)
    #expect(
      refused.stderr.hasSuffix(
        "refusing to start: multiple-paths: 10.136.11.5 is reachable through 2 interfaces (br-ex, osa10): requests and replies can take different paths\n"
      ), "\(refused.stderr)")
  }

  @Test func aHostRoutedHookNeverTouchedIsCheckedWithoutAConfig() throws {
    let bed = try Testbed(guestCount: 1)
    defer { bed.destroy() }
    try Shell.inNamespace(bed.host, ["sysctl", "-qw", "net.ipv4.conf.osa10.proxy_arp=1"])
    let result = try HookProcess.run(
      ["doctor", "--json", "--state-dir", bed.stateDirectory],
      environment: ["ROUTED_HOOK_CONFIG": "/nonexistent"],
      namespace: bed.host)
    #expect(result.status == 1)
    let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
    // Besides the bridge's netfilter state, which is information only.
    #expect(report.findings.map(\.id) == ["proxy-arp-unfiltered", "bridge-netfilter"], "\(result.stdout)")
    #expect(
      report.findings.first?.summary
        == "osa10 proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
    )
  }
}
