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
        == "vnet0 is attached to br-ex with MTU 1500, below the bridge's MTU 9000: larger frames fail on the receiving side"
    )
    #expect(finding.evidence["port_mtu"] == "1500" && finding.evidence["bridge_mtu"] == "9000")
    #expect(broken.stdout.hasPrefix("{\"findings\":[{") && broken.stdout.hasSuffix("}]}\n"))

    try bed.stop(0)
    let refused = try bed.hook(0, "prepare", "begin")
    #expect(refused.status == 1)
    #expect(
      refused.stderr
        == "routed-hook: prepare guest0: refusing to start: mtu-mismatch-attached: vnet0 is attached to br-ex with MTU 1500, below the bridge's MTU 9000: larger frames fail on the receiving side\n"
    )
    #expect(refused.stdout.isEmpty)

    try Shell.run(["ip", "-n", bed.host, "link", "set", "vnet0", "mtu", "9000"])
    #expect(try bed.hook(0, "prepare", "begin").status == 0)
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
    #expect(report.findings.map(\.id) == ["proxy-arp-unfiltered"], "\(result.stdout)")
    #expect(
      report.findings.first?.summary
        == "osa10 proxies ARP with no ARP filter for it: it answers for every address the host routes elsewhere"
    )
  }
}
