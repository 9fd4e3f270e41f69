import Foundation
import Testing

/// `routed-hook watch` on a routed host in throwaway namespaces, without libvirt: every kind of damage is put
/// back from the records, observed with nft -j and ip -j; the textfile parses as Prometheus text.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct WatchRootTests {
  /// The daemon in the host namespace, with a notify socket of the test's own to learn that it is ready.
  final class Daemon {
    let process = Process()
    let notifySocket: Int32
    let notifyPath: String
    let stderr = Pipe()
    let metricsPath: String

    init(bed: Testbed, arguments: [String] = []) throws {
      metricsPath = bed.scratch.url.appendingPathComponent("routed-hook.prom").path
      notifyPath = bed.scratch.url.appendingPathComponent("notify.sock").path
      notifySocket = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in notifyPath.utf8.enumerated() { raw[index] = byte }
      }
      _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(notifySocket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
      }
      process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
      process.arguments =
        [
          "netns", "exec", bed.host, HookProcess.binary.path, "watch", "--no-libvirt", "--config", bed.configPath,
          "--state-dir", bed.stateDirectory, "--metrics", metricsPath, "--metrics-interval", "1",
        ] + arguments
      process.environment = [
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET": notifyPath, "WATCHDOG_USEC": "2000000",
      ]
      process.standardError = stderr
      try process.run()
    }

    /// The next notification within `timeout` seconds, or nil.
    func notification(timeout: Double = 20) -> String? {
      var descriptor = pollfd(fd: notifySocket, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, Int32(timeout * 1000)) == 1 else { return nil }
      var buffer = [UInt8](repeating: 0, count: 4096)
      let count = buffer.withUnsafeMutableBytes { recv(notifySocket, $0.baseAddress, $0.count, 0) }
      return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    /// Notifications until one contains `text`.
    func wait(for text: String, timeout: Double = 20) -> [String] {
      var seen: [String] = []
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline, let next = notification(timeout: deadline.timeIntervalSinceNow) {
        seen.append(next)
        if next.contains(text) { break }
      }
      return seen
    }

    /// SIGTERM, then its exit status and everything it logged.
    func stop() -> (status: Int32, log: String) {
      kill(process.processIdentifier, SIGTERM)
      let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      close(notifySocket)
      unlink(notifyPath)
      return (process.terminationStatus, log)
    }
  }

  /// Polls until the kernel matches `healthy` again; the time it took, or nil after `timeout` seconds.
  static func repairTime(_ bed: Testbed, healthy: KernelReadBack, rules: [String], since start: Date, timeout: Double = 5)
    throws -> Double?
  {
    while Date().timeIntervalSince(start) < timeout {
      if try KernelReadBack.read(bed.host) == healthy, try KernelReadBack.rules(bed.host).sorted() == rules {
        return Date().timeIntervalSince(start)
      }
      usleep(10_000)
    }
    return nil
  }

  @Test func repairsEveryKindOfDamageFromTheRecords() throws {
    let bed = try Testbed()
    for index in 0..<3 { try bed.start(index) }
    let healthy = try KernelReadBack.read(bed.host)
    let rules = try KernelReadBack.rules(bed.host).sorted()
    #expect(healthy.guestElements.count == 18 && healthy.routes.count == 3)
    let daemon = try Daemon(bed: bed)
    let ready = daemon.wait(for: "READY=1")
    #expect(ready.last?.contains("READY=1") == true, "no READY=1 from the daemon: \(ready)")
    #expect(ready.last?.contains("without libvirt") == true, "\(ready)")

    let damages: [(String, [[String]])] = [
      ("nft flush ruleset", [["nft", "flush", "ruleset"]]),
      ("ip route flush proto 151", [["ip", "route", "flush", "proto", "151"]]),
      ("one owned table deleted", [["nft", "delete", "table", "inet", "routed_hook"]]),
      ("an element deleted", [["nft", "delete", "element", "arp", "routed_hook", "answer_production", "{ 10.136.11.6 }"]]),
      (
        "uplink osa172 re-created",
        [
          ["ip", "link", "del", "osa172"],
          ["ip", "link", "add", "osa172", "type", "veth", "peer", "eth9"],
          ["ip", "address", "add", "172.18.0.11/15", "dev", "osa172"],
          ["ip", "link", "set", "osa172", "up"],
        ]
      ),
    ]
    for (name, commands) in damages {
      let start = Date()
      for command in commands { try Shell.inNamespace(bed.host, command) }
      let took = try Self.repairTime(bed, healthy: healthy, rules: rules, since: start)
      print("watch repaired \(name) in \(took.map { "\(Int($0 * 1000)) ms" } ?? "(not within 5 s)")")
      #expect(took != nil, "\(name): not repaired within 5 s")
      #expect(try bed.ping(from: bed.production, "10.136.11.5"), "\(name): production reaches guest0 again")
    }
    // The uplink's sysctls came back with it (a new link starts with the defaults).
    let forwarding = try Shell.inNamespace(bed.host, ["sysctl", "-n", "net.ipv4.conf.osa172.forwarding"])
    #expect(forwarding.out.trimmingCharacters(in: .whitespacesAndNewlines) == "1")

    // A hook's own stop deletes elements and a route: the daemon checks once and changes nothing.
    try bed.stop(2)
    usleep(500_000)
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest2").isEmpty, "the daemon did not revive a stop")

    let status = try bed.status()
    let view = try #require(
      (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["watch"]
        as? [String: Any], "status --json has the daemon's view: \(status.stdout)")
    let repairs = view["repairs"] as? [String: Int] ?? [:]
    #expect((repairs["drift"] ?? 0) >= damages.count, "\(view)")
    #expect(view["libvirtLoaded"] as? Bool == false)
    #expect((view["checksClean"] as? Int ?? 0) >= 1, "the stop's echo was checked and found clean: \(view)")

    // The textfile parses with prometheus_client and counts what happened.
    usleep(1_200_000)
    let check = try Shell.run(
      [
        "/usr/bin/python3", Self.repository + "/scripts/check-metrics", daemon.metricsPath,
        "--expect", "routed_hook_guests_managed{}=2",
        "--expect", "routed_hook_hook_calls_total{kind=\"qemu\",op=\"started\",outcome=\"ok\"}=3",
        "--expect", "routed_hook_hook_calls_total{kind=\"qemu\",op=\"stopped\",outcome=\"ok\"}=1",
        "--expect", "routed_hook_objects_missing{kind=\"route\"}=0",
        "--expect", "routed_hook_repairs_total{kind=\"drift\"}=*",
        "--expect", "routed_hook_last_reconcile_success_timestamp_seconds{}=*",
      ], allowFailure: true)
    #expect(check.status == 0, "\(check.out)\(check.err)")

    let (exit, log) = daemon.stop()
    #expect(exit == 0, "\(log)")
    #expect(log.contains("watch: stopping"), "\(log)")
    #expect(log.contains("repaired"), "\(log)")
    #expect(try bed.status().stdout.contains("\"watch\"") == false, "no daemon view once it stopped")
  }

  /// The proxy-arp uplink re-created with a new MAC (as NetworkManager or a driver reload does): the repair puts
  /// its proxy_arp back and then sends gratuitous ARP for every guest answered there, from the new MAC, so the
  /// LAN's caches learn it at once instead of sending to the old MAC until they age out. The daemon is
  /// stopped (SIGSTOP) while the link is re-created and the LAN's capture starts, so its repair comes after.
  @Test func aRecreatedProxyARPUplinkReannouncesItsGuests() throws {
    let bed = try Testbed()
    for index in 0..<2 { try bed.start(index) }
    let oldMAC = try bed.mac(of: "osa10", in: bed.host)
    let daemon = try Daemon(bed: bed)
    #expect(daemon.wait(for: "READY=1").last?.contains("READY=1") == true)
    kill(daemon.process.processIdentifier, SIGSTOP)
    // Deleting a veth takes its peer: the LAN side comes back as a new eth0 in prod's namespace.
    try Shell.inNamespace(bed.host, ["ip", "link", "del", "osa10"])
    try Shell.run(["ip", "-n", bed.host, "link", "add", "osa10", "type", "veth", "peer", "eth0", "netns", bed.production])
    try Shell.run(["ip", "-n", bed.host, "address", "add", "10.131.11.254/8", "dev", "osa10"])
    try Shell.run(["ip", "-n", bed.production, "address", "add", "10.0.0.7/8", "dev", "eth0"])
    try Shell.run(["ip", "-n", bed.host, "link", "set", "osa10", "up"])
    try Shell.run(["ip", "-n", bed.production, "link", "set", "eth0", "up"])
    let newMAC = try bed.mac(of: "osa10", in: bed.host)
    #expect(newMAC != oldMAC)
    #expect(try Shell.inNamespace(bed.host, ["sysctl", "-n", "net.ipv4.conf.osa10.proxy_arp"]).out.hasPrefix("0"))
    let capture = try PacketCapture(
      namespace: bed.production, filter: "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]", count: 2, in: bed.scratch)
    kill(daemon.process.processIdentifier, SIGCONT)
    let frames = try capture.frames()
    let stopped = daemon.stop()
    #expect(
      stopped.log.contains(
        "uplink re-created: announced gratuitous ARP: 10.136.11.5 on osa10 as its own MAC, gratuitous ARP: 10.136.11.6 on osa10 as its own MAC"
      ), "\(stopped.log)")
    // Both guests announced on the LAN, sender = target = the guest, from the uplink's new MAC.
    let announced = frames.filter { $0.count >= 42 && Array($0[6..<12]) == Array($0[22..<28]) }
      .map { (Array($0[28..<32]).map(String.init).joined(separator: "."), PacketCapture.mac(Array($0[22..<28]))) }
    #expect(announced.map(\.0).sorted() == ["10.136.11.5", "10.136.11.6"], "\(announced)")
    #expect(announced.allSatisfy { $0.1 == newMAC }, "\(announced)")
    // And the LAN is answered from the new MAC again.
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == newMAC)
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
  }

  /// IPv6 damage the kernel announces (a /128 of ours deleted, an IPv6 set element deleted) is repaired like
  /// IPv4's. A proxy neighbour entry's removal is announced by nothing (kernel 6.18): the daemon cannot see it,
  /// and the next reconcile puts it back.
  @Test func repairsIPv6DamageItIsToldAbout() throws {
    let bed = try Testbed(guestCount: 2, dualStack: true)
    for index in 0..<2 { try bed.start(index) }
    func v6Routes() throws -> Int {
      let json = try Shell.inNamespace(bed.host, ["ip", "-j", "-6", "route", "show", "proto", "151"]).out
      return (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []).count
    }
    func hasElement(_ address: String) throws -> Bool {
      try Shell.inNamespace(bed.host, ["nft", "-j", "list", "set", "inet", "routed_hook", "guests6_guests"]).out
        .contains(address)
    }
    #expect(try v6Routes() == 2 && hasElement(Testbed.address6(1)))
    let daemon = try Daemon(bed: bed)
    let ready = daemon.wait(for: "READY=1")
    #expect(ready.last?.contains("READY=1") == true, "no READY=1 from the daemon: \(ready)")

    try Shell.inNamespace(bed.host, ["ip", "-6", "route", "flush", "proto", "151"])
    var start = Date()
    while try v6Routes() < 2, Date().timeIntervalSince(start) < 5 { usleep(10_000) }
    #expect(try v6Routes() == 2, "the /128s were not put back within 5 s")
    try Shell.inNamespace(
      bed.host, ["nft", "delete", "element", "inet", "routed_hook", "guests6_guests", "{ \(Testbed.address6(1)) }"])
    start = Date()
    while try !hasElement(Testbed.address6(1)), Date().timeIntervalSince(start) < 5 { usleep(10_000) }
    #expect(try hasElement(Testbed.address6(1)), "the IPv6 element was not put back within 5 s")
    // Traffic, not only kernel state: the production host reaches guest0 over IPv6 again (within 5 s: the
    // daemon may still be finishing the element's repair when the set element is back).
    start = Date()
    var reached = false
    while !reached, Date().timeIntervalSince(start) < 5 { reached = try bed.ping(from: bed.production, Testbed.address6(0), count: 1) }
    #expect(reached, "production reaches guest0 over IPv6 again")

    let (exit, log) = daemon.stop()
    #expect(exit == 0, "\(log)")
    #expect(log.contains("repaired"), "\(log)")
  }

  @Test func aSecondDaemonIsRefused() throws {
    let bed = try Testbed(guestCount: 1)
    let first = try Daemon(bed: bed)
    #expect(first.wait(for: "READY=1").last?.contains("READY=1") == true)
    let second = try HookProcess.run(
      ["watch", "--no-libvirt", "--config", bed.configPath, "--state-dir", bed.stateDirectory, "--metrics", ""],
      namespace: bed.host)
    #expect(second.status == 1)
    #expect(second.stderr.contains("another routed-hook watch runs for \(bed.stateDirectory)"), "\(second.stderr)")
    #expect(first.stop().status == 0)
  }

  static var repository: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }
}
