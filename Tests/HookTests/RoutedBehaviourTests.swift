import Foundation
import Testing

/// What users notice, on a routed host in throwaway namespaces: packets, ARP answers, NAT sources, kernel state.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct RoutedBehaviourTests {
  @Test func startedGuestIsRoutedBothWaysAndStoppedGuestIsGone() throws {
    let bed = try Testbed()
    let g1 = bed.guests[0]
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)

    #expect(try !bed.ping(from: bed.production, "10.136.11.5"), "nothing routes before the guest starts")
    try bed.start(0)

    // Scenario II: production host ↔ guest, both ways; ARP answered by the host's OSA MAC only for the running guest.
    #expect(try bed.ping(from: g1, "10.0.0.7"))
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == osaMAC)
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.6") == nil, "guest 2 is not running")
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.77") == nil, "an unused address")
    #expect(
      try bed.arpAnswer(from: bed.production, for: "10.131.11.254") == osaMAC,
      "the host keeps its own address")

    // Scenario IV: the intranet server sees the host's intranet address, and cannot reach the guest.
    try Shell.inNamespace(bed.intranet, ["nft", "add", "table", "ip", "probe"])
    try Shell.inNamespace(
      bed.intranet, ["nft", "add", "chain", "ip", "probe", "in", "{ type filter hook input priority 0; }"])
    try Shell.inNamespace(
      bed.intranet,
      [
        "nft", "add", "rule", "ip", "probe", "in", "ip", "saddr", "172.18.0.11", "icmp", "type",
        "echo-request", "counter",
      ])
    try Shell.inNamespace(
      bed.intranet,
      [
        "nft", "add", "rule", "ip", "probe", "in", "ip", "saddr", "10.136.11.5", "icmp", "type",
        "echo-request", "counter",
      ])
    #expect(try bed.ping(from: g1, "172.18.0.1", count: 3))
    let counters = try Shell.inNamespace(bed.intranet, ["nft", "list", "table", "ip", "probe"]).out
    #expect(counters.contains("ip saddr 172.18.0.11 icmp type echo-request counter packets 3"), "\(counters)")
    #expect(counters.contains("ip saddr 10.136.11.5 icmp type echo-request counter packets 0"), "\(counters)")
    #expect(try !bed.ping(from: bed.intranet, "10.136.11.5"), "nothing in the intranet reaches a guest")

    // Anti-spoofing: the guest sends from an address that is not its own.
    try Shell.inNamespace(g1, ["ip", "address", "add", "10.136.11.99/8", "dev", "eth0"])
    #expect(try !bed.ping(from: g1, "10.0.0.7", source: "10.136.11.99"), "spoofed source must be dropped")
    #expect(try bed.ping(from: g1, "10.0.0.7", source: "10.136.11.5"))

    // Kernel state, read with nft -j and ip -j.
    let started = try KernelReadBack.read(bed.host)
    #expect(started.tables.isSuperset(of: ["arp routed_hook", "inet routed_hook", "ip routed_hook_nat"]))
    #expect(
      started.elements(of: "guest0") == [
        "inet routed_hook guests_guests 10.136.11.5 # guest0",
        "inet routed_hook egress 10.136.11.5 . osa10 # guest0",
        "inet routed_hook ingress 10.136.11.5 . osa10 # guest0",
        "arp routed_hook answer_production 10.136.11.5 # guest0",
        "inet routed_hook egress 10.136.11.5 . osa172 # guest0",
        "ip routed_hook_nat masquerade_guests 10.136.11.5 . osa172 # guest0",
      ])
    #expect(started.routes.contains("10.136.11.5 br-ex"))
    #expect(
      try Shell.run(["cat", "/proc/sys/net/ipv4/conf/all/forwarding"]).out.trimmingCharacters(
        in: .whitespacesAndNewlines) == "0")
    #expect(
      try Shell.inNamespace(bed.host, ["cat", "/proc/sys/net/ipv4/conf/osa172/proxy_arp"]).out.hasPrefix("0"))
    #expect(
      try Shell.inNamespace(bed.host, ["cat", "/proc/sys/net/ipv4/conf/osa10/proxy_arp"]).out.hasPrefix("1"))

    // Stop: every object of the guest is gone, nothing else changed.
    try bed.stop(0)
    let stopped = try KernelReadBack.read(bed.host)
    #expect(stopped.elements(of: "guest0").isEmpty)
    #expect(!stopped.routes.contains("10.136.11.5 br-ex"))
    #expect(stopped.elements == started.elements.subtracting(started.elements(of: "guest0")))
    #expect(stopped.tables == started.tables)
    #expect(try !bed.ping(from: bed.production, "10.136.11.5"))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == nil)
    let status = try bed.status()
    #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
  }

  @Test func applyingTwiceChangesNothingAndRemovingTwiceIsFine() throws {
    let bed = try Testbed()
    try bed.start(0)
    let once = try KernelReadBack.read(bed.host)
    try bed.start(0)
    let reconnect = try bed.hook(0, "reconnect", "begin")
    #expect(reconnect.status == 0 && reconnect.stderr.isEmpty, "\(reconnect.stderr)")
    #expect(try KernelReadBack.read(bed.host) == once)
    try bed.stop(0)
    try bed.stop(0)
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0").isEmpty)
  }

  @Test func anAddressHeldByARunningGuestIsRefusedToAnother() throws {
    let bed = try Testbed(guestCount: 1)
    try bed.start(0)
    // Another domain (its own name and UUID) claims guest 0's MAC-less address.
    let thief = Testbed.domainXML(0).replacingOccurrences(of: Testbed.uuid(0), with: Testbed.uuid(99))
      .replacingOccurrences(of: "<name>guest0</name>", with: "<name>thief</name>")
    let result = try bed.hook(0, "prepare", "begin", xml: thief)
    #expect(result.status == 1)
    #expect(
      result.stderr
        == "routed-hook: prepare guest0: domain thief: address 10.136.11.5 is already used by running domain guest0 (NIC 52:54:00:11:00:05)\n"
    )
    try bed.stop(0)
    #expect(try bed.hook(0, "prepare", "begin", xml: thief).status == 0, "free again once guest 0 stopped")
  }

  @Test func foreignTablesAndRoutesAreNeverTouched() throws {
    let bed = try Testbed()
    try Shell.inNamespace(bed.host, ["nft", "add", "table", "inet", "other"])
    try Shell.inNamespace(bed.host, ["nft", "add", "set", "inet", "other", "guests", "{ type ipv4_addr; }"])
    try Shell.inNamespace(bed.host, ["nft", "add", "element", "inet", "other", "guests", "{ 10.136.11.5 }"])
    try Shell.inNamespace(
      bed.host, ["ip", "route", "add", "10.200.0.0/16", "via", "10.0.0.7", "proto", "static"])
    try bed.start(0)
    try bed.stop(0)
    let ruleset = try Shell.inNamespace(bed.host, ["nft", "list", "table", "inet", "other"]).out
    #expect(ruleset.contains("elements = { 10.136.11.5 }"))
    let routes = try Shell.run(["ip", "-n", bed.host, "route", "show", "10.200.0.0/16"]).out
    #expect(routes.contains("10.200.0.0/16 via 10.0.0.7"))
  }

  @Test func routeCollisionWithAForeignRouteRefusesTheStartAndLeavesNoResidue() throws {
    let bed = try Testbed()
    try bed.start(1)
    let before = try KernelReadBack.read(bed.host)
    // Someone else already routes guest 0's address elsewhere.
    try Shell.inNamespace(
      bed.host, ["ip", "route", "add", "10.136.11.5/32", "via", "10.0.0.7", "proto", "static"])
    let result = try bed.hook(0, "started", "begin")
    #expect(result.status == 1)
    #expect(result.stderr.contains("10.136.11.5/32"), "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    let after = try KernelReadBack.read(bed.host)
    #expect(after.elements == before.elements, "the nft batch was undone")
    let foreign = try Shell.run(["ip", "-n", bed.host, "route", "show", "10.136.11.5/32"]).out
    #expect(foreign.contains("via 10.0.0.7"), "the foreign route survives")
  }

  @Test func sixtyFourConcurrentLifecyclesEndExactlyRight() throws {
    let bed = try Testbed(guestCount: 1)
    let count = 64
    try bed.start(0)
    // One thread per lifecycle, so all 64 hook processes really race for the lock.
    let group = DispatchGroup()
    let failures = Failures()
    for index in 0..<count {
      group.enter()
      Thread {
        let guest = index + 10
        do {
          try bed.start(guest)
          if index % 2 == 1 { try bed.stop(guest) }
        } catch {
          failures.add("guest \(guest): \(error)")
        }
        group.leave()
      }.start()
    }
    group.wait()
    #expect(failures.all.isEmpty, "\(failures.all)")
    let state = try KernelReadBack.read(bed.host)
    for index in 0..<count {
      let guest = index + 10
      let elements = state.elements(of: Testbed.name(guest))
      let routed = state.routes.contains("\(Testbed.address(guest)) br-ex")
      if index % 2 == 1 {
        #expect(elements.isEmpty && !routed, "guest \(guest) was stopped")
      } else {
        #expect(elements.count == 6 && routed, "guest \(guest) runs: \(elements)")
      }
    }
    #expect(state.routes.count == 1 + count / 2)
    let status = try bed.status()
    #expect(status.status == 0, "\(status.stdout)")
  }

  @Test func killedHookIsRepairedByReconnect() throws {
    let bed = try Testbed(guestCount: 1)
    try bed.start(0)
    let healthy = try KernelReadBack.read(bed.host)
    // Kill `started` at random points; whatever it left, status tells and reconnect repairs.
    for round in 0..<12 {
      let guest = 20 + round
      let process = try bed.startHook(guest, "started", "begin", "-")
      usleep(UInt32(round * 1500))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let repaired = try bed.hook(guest, "reconnect", "begin")
      #expect(repaired.status == 0)
      let state = try KernelReadBack.read(bed.host)
      #expect(
        state.elements(of: Testbed.name(guest)).count == 6,
        "round \(round): \(state.elements(of: Testbed.name(guest)))")
      try bed.stop(guest)
    }
    let status = try bed.status()
    #expect(status.status == 0, "status after the drill: \(status.stdout)")
    #expect(try KernelReadBack.read(bed.host).elements == healthy.elements)
  }

  @Test func orphansAndMissingObjectsShowInStatus() throws {
    let bed = try Testbed(guestCount: 1)
    try bed.start(0)
    // An admin deletes one of the guest's elements by hand.
    try Shell.inNamespace(
      bed.host, ["nft", "delete", "element", "inet", "routed_hook", "egress", "{ 10.136.11.5 . \"osa10\" }"])
    var status = try bed.status()
    #expect(status.status == 1)
    #expect(status.stdout.contains("\"present\" : false"), "\(status.stdout)")
    // reconnect puts it back.
    #expect(try bed.hook(0, "reconnect", "begin").status == 0)
    status = try bed.status()
    #expect(status.status == 0, "\(status.stdout)")
    // A record lost (crash before it was written): the objects show as orphans.
    try FileManager.default.removeItem(atPath: "\(bed.stateDirectory)/\(Testbed.uuid(0)).json")
    status = try bed.status()
    #expect(status.status == 1)
    #expect(status.stdout.contains("10.136.11.5 . \\\"osa10\\\" comment \\\"guest0\\\""), "\(status.stdout)")
    #expect(try bed.hook(0, "reconnect", "begin").status == 0)
    #expect(try bed.status().status == 0)
  }
}

/// Errors collected from worker threads.
final class Failures: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ item: String) { lock.withLock { items.append(item) } }
  var all: [String] { lock.withLock { items } }
}
