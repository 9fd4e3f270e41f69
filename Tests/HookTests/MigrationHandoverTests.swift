import Foundation
import Testing

/// The destination's side of a live migration, on a routed host in throwaway namespaces: `migrate begin`,
/// then the usual start, installs the guest arriving (its /32 at metric 512, no ARP answering on the LAN);
/// `routed-hook arrived` makes it live, moves the route to 256 and sends gratuitous ARP that moves the LAN's
/// and the local guests' neighbour caches; the claim settles to metric 0. Read back with `ip -j`, `nft -j`,
/// arping, `ip neigh` and tcpdump, never through routed-hook.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct MigrationHandoverTests {
  static let answer = "arp routed_hook answer_production 10.136.11.5 # guest0"

  /// Metrics of the protocol-151 routes for `address` (/32 or /128), read with `ip -j`.
  static func metrics(_ bed: Testbed, _ address: String) throws -> [Int] {
    let v6 = address.contains(":")
    let json = try Shell.run(
      ["ip", "-j", "-n", bed.host] + (v6 ? ["-6"] : []) + ["route", "show", "\(address)/\(v6 ? 128 : 32)", "proto", "151"]
    ).out
    let routes = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
    return routes.map { $0["metric"] as? Int ?? 0 }.sorted()
  }

  /// The MAC `namespace`'s neighbour entry for `address` on eth0 holds, read with `ip -j neigh`.
  static func neighbour(_ namespace: String, _ address: String) throws -> String? {
    let json = try Shell.inNamespace(namespace, ["ip", "-j", "neigh", "show", address, "dev", "eth0"]).out
    let entries = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
    return (entries.first?["lladdr"] as? String)?.lowercased()
  }

  func arrived(_ bed: Testbed, _ extra: [String] = []) throws -> HookProcess.Result {
    try HookProcess.run(
      ["arrived", "--config", bed.configPath, "--state-dir", bed.stateDirectory] + extra + ["guest0"],
      namespace: bed.host)
  }

  @Test func anArrivingGuestTakesOverOnlyWhenArrived() throws {
    let bed = try Testbed()
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)
    let bridgeMAC = try bed.mac(of: "br-ex", in: bed.host)
    try bed.start(1)  // a guest already running here, on the same bridge

    let migrate = try bed.hook(0, "migrate", "begin")
    #expect(migrate.status == 0 && migrate.stdout.isEmpty, "\(migrate.stderr)")
    try bed.start(0)

    // Arriving: routed at 512, every element but the LAN's ARP answer, and nobody answers on the LAN.
    #expect(try Self.metrics(bed, "10.136.11.5") == [512])
    let arriving = try KernelReadBack.read(bed.host)
    #expect(arriving.elements(of: "guest0") == Testbed.expectedElements(0).subtracting([Self.answer]))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == nil, "the source still answers")
    let status = try bed.status()
    #expect(status.stdout.contains("\"preference\" : \"arriving\""), "\(status.stdout)")

    // Caches as the move left them: the LAN points at the source host, guest1 at this host (it reached
    // guest0 through the host while guest0 ran elsewhere).
    try Shell.inNamespace(
      bed.production,
      ["ip", "neigh", "replace", "10.136.11.5", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"])
    try Shell.inNamespace(
      bed.guests[1],
      ["ip", "neigh", "replace", "10.136.11.5", "lladdr", bridgeMAC, "dev", "eth0", "nud", "stale"])
    // The moved guest's entry for its router still holds the source host's bridge MAC, REACHABLE (it was in
    // use until the pause): only a gratuitous ARP moves it before it goes stale.
    try Shell.inNamespace(
      bed.guests[0],
      ["ip", "neigh", "replace", "10.136.11.254", "lladdr", "02:00:00:00:00:98", "dev", "eth0", "nud", "reachable"])

    // Gratuitous: an ARP request whose sender and target address are the same.
    let capture = try PacketCapture(
      namespace: bed.production, filter: "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]", in: bed.scratch)
    let done = try arrived(bed)
    let frames = try capture.frames()
    #expect(done.status == 0, "\(done.stderr)")
    #expect(done.stdout.contains("guest0: moved ("), "\(done.stdout)")
    #expect(done.stdout.contains("gratuitous ARP: 10.136.11.5 on osa10 as its own MAC"), "\(done.stdout)")
    #expect(done.stdout.contains("gratuitous ARP: 10.136.11.254 on br-ex as its own MAC"), "\(done.stdout)")

    // Live: the answer is in, the route is at 256, the LAN gets the host's MAC, and both caches moved.
    #expect(try Self.metrics(bed, "10.136.11.5") == [256])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0") == Testbed.expectedElements(0))
    #expect(try Self.neighbour(bed.production, "10.136.11.5") == osaMAC)
    #expect(try Self.neighbour(bed.guests[1], "10.136.11.5") == Testbed.mac(0))
    #expect(try Self.neighbour(bed.guests[0], "10.136.11.254") == bridgeMAC)
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == osaMAC)
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
    // The frame on the LAN is ours: broadcast from the OSA's MAC, gratuitous, tagged in its padding.
    let garp = frames.filter {
      $0.count >= 60 && Array($0[28..<32]) == [10, 136, 11, 5] && Array($0[38..<42]) == [10, 136, 11, 5]
    }
    #expect(garp.count == 1, "\(frames.count) gratuitous ARP frames")
    if let frame = garp.first {
      #expect(Array(frame[0..<6]) == [UInt8](repeating: 0xff, count: 6))
      #expect(PacketCapture.mac(Array(frame[6..<12])) == osaMAC)
      #expect(PacketCapture.mac(Array(frame[22..<28])) == osaMAC)
      #expect(String(decoding: frame[42..<53], as: UTF8.self) == "routed-hook")
    }

    // Finishing twice changes nothing and sends nothing.
    let again = try arrived(bed)
    #expect(again.status == 0)
    #expect(again.stdout == "guest0: not arriving (claim: moved); nothing changed\n")

    // Settled: metric 0, as a plain start leaves it.
    let settled = try arrived(bed, ["--settle"])
    #expect(settled.stdout.hasSuffix("guest0: settled to normal\n"), "\(settled.stdout)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [0])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0") == Testbed.expectedElements(0))

    try bed.stop(0)
    #expect(try Self.metrics(bed, "10.136.11.5") == [])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0").isEmpty)
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest1") == Testbed.expectedElements(1))
  }

  /// The same handover for a dual-stack guest: while arriving, its /128 sits at 512 and the LAN gets no
  /// neighbour answer (no proxy entry); `arrived` adds the proxy entry, moves the /128 to 256 and sends an
  /// unsolicited neighbour advertisement with the override flag, which moves the production host's entry
  /// (still pointing at the source) at once, without a new solicitation; one for fe80::1 on the bridge moves
  /// the guest's own router entry. Settled, the /128 is at the kernel's 1024, as a plain start leaves it.
  @Test func aDualStackArrivalMovesTheLANsNeighbourEntry() throws {
    let bed = try Testbed(guestCount: 1, dualStack: true)
    let address6 = Testbed.address6(0)
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)
    let bridgeMAC = try bed.mac(of: "br-ex", in: bed.host)
    #expect(try bed.hook(0, "migrate", "begin").status == 0)
    try bed.start(0)

    #expect(try Self.metrics(bed, address6) == [512])
    #expect(try Self.metrics(bed, Testbed.address(0)) == [512])
    let proxies = try Shell.inNamespace(bed.host, ["ip", "-6", "neigh", "show", "proxy"]).out
    #expect(!proxies.contains(address6), "no proxy entry while arriving: \(proxies)")
    #expect(try bed.ndpAnswer(from: bed.production, for: address6) == nil, "the source still answers")

    // Caches as the move left them: the LAN's entry for the guest points at the source host, and so does
    // the guest's entry for its router fe80::1.
    try Shell.inNamespace(
      bed.production,
      ["ip", "-6", "neigh", "replace", address6, "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"])
    try Shell.inNamespace(
      bed.guests[0],
      ["ip", "-6", "neigh", "replace", "fe80::1", "lladdr", "02:00:00:00:00:98", "dev", "eth0", "nud", "stale"])

    let capture = try PacketCapture(namespace: bed.production, filter: "icmp6 and ip6[40] = 136", in: bed.scratch)
    let done = try arrived(bed)
    let frames = try capture.frames()
    #expect(done.status == 0, "\(done.stderr)")
    #expect(
      done.stdout.contains("neighbour advertisement: \(address6) on osa10 as its own MAC"), "\(done.stdout)")
    #expect(done.stdout.contains("neighbour advertisement: fe80::1 on br-ex (router) as its own MAC"), "\(done.stdout)")

    // Read at once, before anyone solicits: the advertisement moved both entries.
    #expect(try Self.neighbour(bed.production, address6) == osaMAC)
    #expect(try Self.neighbour(bed.guests[0], "fe80::1") == bridgeMAC)
    #expect(try Self.metrics(bed, address6) == [256])
    let live = try Shell.inNamespace(bed.host, ["ip", "-j", "-6", "neigh", "show", "proxy", "dev", "osa10"]).out
    #expect(live.contains("\"dst\":\"\(address6)\""), "\(live)")
    #expect(try bed.ping(from: bed.production, address6))

    // The frame on the LAN: to all nodes from the OSA's MAC, override flag only, the target and its MAC.
    #expect(frames.count == 1, "\(frames.count) neighbour advertisements")
    if let frame = frames.first, frame.count >= 86 {
      #expect(Array(frame[0..<6]) == [0x33, 0x33, 0, 0, 0, 1])
      #expect(PacketCapture.mac(Array(frame[6..<12])) == osaMAC)
      #expect(frame[21] == 255)
      #expect(frame[58] == 0x20, "override, not solicited, not router")
      #expect(PacketCapture.mac(Array(frame[80..<86])) == osaMAC)
      #expect(String(decoding: frame[86...], as: UTF8.self) == "routed-hook")
    }

    let settled = try arrived(bed, ["--settle"])
    #expect(settled.stdout.hasSuffix("guest0: settled to normal\n"), "\(settled.stdout)")
    #expect(try Self.metrics(bed, address6) == [1024], "metric 0 is the kernel's 1024 for IPv6")
    #expect(try Self.metrics(bed, Testbed.address(0)) == [0])
    #expect(try bed.ping(from: bed.production, address6))
    try bed.stop(0)
    #expect(try Self.metrics(bed, address6) == [])
    let left = try Shell.inNamespace(bed.host, ["ip", "-6", "neigh", "show", "proxy"]).out
    #expect(!left.contains(address6), "\(left)")
  }

  /// A migration that fails after `started` on the destination: its stop removes the 512 route even with a
  /// better route (BIRD's, to the source) in front of it, and leaves that route alone.
  @Test func aFailedArrivalIsRemovedAndBIRDsRouteStays() throws {
    let bed = try Testbed()
    try Shell.inNamespace(
      bed.host,
      [
        "ip", "route", "add", "10.136.11.5/32", "via", "10.0.0.7", "dev", "osa10", "proto", "bird", "metric",
        "32",
      ])
    #expect(try bed.hook(0, "migrate", "begin").status == 0)
    try bed.start(0)
    #expect(try Self.metrics(bed, "10.136.11.5") == [512])
    #expect(
      try Shell.inNamespace(bed.host, ["ip", "route", "get", "10.136.11.5"]).out.contains("via 10.0.0.7"))
    try bed.stop(0)
    #expect(try Self.metrics(bed, "10.136.11.5") == [])
    let left = try Shell.inNamespace(bed.host, ["ip", "route", "show", "10.136.11.5/32"]).out
    #expect(left.contains("via 10.0.0.7 dev osa10 proto bird metric 32"), "\(left)")
  }

  /// `migrate begin` whose migration failed before `prepare` leaves its marker; a stop clears it, and a later
  /// plain start is an ordinary start, answered at once.
  @Test func aPlainStartAfterAFailedMigrationIsNormal() throws {
    let bed = try Testbed()
    #expect(try bed.hook(0, "migrate", "begin").status == 0)
    try bed.stop(0)
    try bed.start(0)
    #expect(try Self.metrics(bed, "10.136.11.5") == [0])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0") == Testbed.expectedElements(0))
  }

  /// Without the watch daemon, `reconcile` finishes an arrival once libvirt lists the domain running, never
  /// while it is paused (the source still runs it).
  @Test func reconcileFinishesOnlyWhatLibvirtListsRunning() throws {
    let bed = try Testbed()
    #expect(try bed.hook(0, "migrate", "begin").status == 0)
    try bed.start(0)
    let paused = try TestDriverNode.write(running: [0], paused: [0], in: bed.scratch, name: "paused.xml")
    let first = try bed.reconcile(paused)
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [512])
    #expect(!(try KernelReadBack.read(bed.host).elements.contains(Self.answer)))

    let running = try TestDriverNode.write(running: [0], in: bed.scratch, name: "running.xml")
    let second = try bed.reconcile(running)
    #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
    #expect(second.stdout.contains("handover"), "\(second.stdout)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [256])
    #expect(try KernelReadBack.read(bed.host).elements.contains(Self.answer))
  }

  // MARK: the source's side

  func leaving(_ bed: Testbed, _ extra: [String] = []) throws -> HookProcess.Result {
    try HookProcess.run(
      ["leaving", "--config", bed.configPath, "--state-dir", bed.stateDirectory] + extra + ["guest0"],
      namespace: bed.host)
  }

  /// The proxy neighbour entries on osa10, read with `ip -j -6 neigh show proxy`.
  static func proxyEntries(_ bed: Testbed) throws -> [String] {
    let json = try Shell.inNamespace(bed.host, ["ip", "-j", "-6", "neigh", "show", "proxy", "dev", "osa10"]).out
    let entries = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
    return entries.compactMap { $0["dst"] as? String }
  }

  /// On the source, the pause for the switchover (what `routed-hook watch` does on SUSPENDED_MIGRATED,
  /// `routed-hook leaving` by hand): the LAN's ARP answer and the proxy NDP entry go, the /32 moves to 768, the
  /// record says so; every other object stays; `stopped` then removes exactly what is left.
  @Test func theSourceStopsAnsweringWhenPausedToMove() throws {
    let bed = try Testbed(dualStack: true)
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)
    try bed.start(0)
    try bed.start(1)
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == osaMAC)
    #expect(try Self.proxyEntries(bed).contains(Testbed.address6(0)))
    let before = try KernelReadBack.read(bed.host).elements(of: "guest0")
    let other = try KernelReadBack.read(bed.host).elements(of: "guest1")
    #expect(before.contains(Self.answer))

    let done = try leaving(bed)
    #expect(done.status == 0, "\(done.stderr)")
    #expect(
      done.stdout.hasPrefix("guest0: leaving: ARP answer on proxy-arp uplinks withdrawn, claim lowered, "),
      "\(done.stdout)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [768])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0") == before.subtracting([Self.answer]))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == nil, "nobody answers while it moves")
    #expect(try !Self.proxyEntries(bed).contains(Testbed.address6(0)))
    #expect(try bed.ndpAnswer(from: bed.production, for: Testbed.address6(0)) == nil)
    // The other guest is untouched.
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.6") == osaMAC)
    #expect(try Self.proxyEntries(bed).contains(Testbed.address6(1)))
    #expect(try bed.status().stdout.contains("\"preference\" : \"leaving\""))

    // A second pause event changes nothing.
    let again = try leaving(bed)
    #expect(again.stdout == "guest0: nothing to change (claim: leaving)\n", "\(again.stdout)")

    // The migration completed: `stopped` removes what the record holds, which is all that is left.
    try bed.stop(0)
    #expect(try Self.metrics(bed, "10.136.11.5") == [])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0").isEmpty)
    #expect(try !Shell.inNamespace(bed.host, ["ip", "-j", "-6", "route", "show", "proto", "151"]).out.contains("136:11:5"))
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest1") == other)
  }

  /// The source's side for a dual-stack guest: leaving takes the /128 to 768 with the /32 and withdraws the
  /// proxy entry; a failed migration (`leaving --resumed`) puts the entry back, the /128 at the kernel's
  /// 1024, and an unsolicited advertisement moves the production host's entry back (the destination may have
  /// advertised itself meanwhile). Without the 1024 named in the delete, the normal /128 would stay behind
  /// next to the 768 one.
  @Test func aFailedDualStackMigrationIsAdvertisedAgain() throws {
    let bed = try Testbed(guestCount: 1, dualStack: true)
    let address6 = Testbed.address6(0)
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)
    try bed.start(0)
    #expect(try Self.metrics(bed, address6) == [1024])
    #expect(try leaving(bed).status == 0)
    #expect(try Self.metrics(bed, address6) == [768])
    #expect(try !Self.proxyEntries(bed).contains(address6))

    try Shell.inNamespace(
      bed.production,
      ["ip", "-6", "neigh", "replace", address6, "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"])
    let capture = try PacketCapture(namespace: bed.production, filter: "icmp6 and ip6[40] = 136", in: bed.scratch)
    let resumed = try leaving(bed, ["--resumed"])
    let frames = try capture.frames()
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(
      resumed.stdout.contains("neighbour advertisement: \(address6) on osa10 as its own MAC"), "\(resumed.stdout)")
    #expect(frames.count == 1)
    #expect(try Self.metrics(bed, address6) == [1024])
    #expect(try Self.proxyEntries(bed).contains(address6))
    #expect(try Self.neighbour(bed.production, address6) == osaMAC)
    #expect(try bed.ping(from: bed.production, address6))

    try bed.stop(0)
    #expect(try Self.metrics(bed, address6) == [])
    #expect(try !Self.proxyEntries(bed).contains(address6))
  }

  /// The migration failed and libvirt resumed the guest on the source (RESUMED_MIGRATED there, `routed-hook
  /// leaving --resumed` by hand): answered again at metric 0, gratuitous ARP on the LAN; and without the
  /// daemon, `reconcile` restores it once libvirt lists it running, never while it is paused.
  @Test func aFailedMigrationRestoresTheSourcesAnswer() throws {
    let bed = try Testbed()
    let osaMAC = try bed.mac(of: "osa10", in: bed.host)
    try bed.start(0)
    #expect(try leaving(bed).status == 0)
    #expect(try Self.metrics(bed, "10.136.11.5") == [768])

    let capture = try PacketCapture(
      namespace: bed.production, filter: "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]", in: bed.scratch)
    let resumed = try leaving(bed, ["--resumed"])
    let frames = try capture.frames()
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.hasPrefix("guest0: resumed here: answered again, claim normal, "), "\(resumed.stdout)")
    #expect(resumed.stdout.contains("gratuitous ARP: 10.136.11.5 on osa10 as its own MAC"), "\(resumed.stdout)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [0])
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0") == Testbed.expectedElements(0))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == osaMAC)
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
    let garp = frames.filter { $0.count >= 42 && Array($0[28..<32]) == [10, 136, 11, 5] }
    #expect(garp.count == 1, "\(frames.count) gratuitous ARP frames")
    #expect(garp.first.map { PacketCapture.mac(Array($0[22..<28])) } == osaMAC)

    // Without the daemon: paused (still switching over) stays withdrawn; running here again is restored.
    #expect(try leaving(bed).status == 0)
    let paused = try TestDriverNode.write(running: [0], paused: [0], in: bed.scratch, name: "paused.xml")
    let first = try bed.reconcile(paused)
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [768])
    #expect(!(try KernelReadBack.read(bed.host).elements.contains(Self.answer)))
    let running = try TestDriverNode.write(running: [0], in: bed.scratch, name: "running.xml")
    let second = try bed.reconcile(running)
    #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
    #expect(second.stdout.contains("leaving, and libvirt lists it running here"), "\(second.stdout)")
    #expect(try Self.metrics(bed, "10.136.11.5") == [0])
    #expect(try KernelReadBack.read(bed.host).elements.contains(Self.answer))
  }
}

/// tcpdump in a namespace, writing the first `count` frames that match `filter` to a pcap file; started here,
/// never left running (killed by its PID after a deadline).
final class PacketCapture: @unchecked Sendable {
  let process = Process()
  let file: String
  private let lock = NSLock()
  private var said = ""

  init(namespace: String, filter: String, count: Int = 1, in scratch: ScratchDirectory) throws {
    file = scratch.url.appendingPathComponent("capture-\(UUID().uuidString.prefix(6)).pcap").path
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = [
      "netns", "exec", namespace, "tcpdump", "-n", "-U", "-c", "\(count)", "-i", "eth0", "-w", file, filter,
    ]
    process.standardOutput = FileHandle.nullDevice
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    Thread {
      while case let chunk = errors.fileHandleForReading.availableData, !chunk.isEmpty {
        self.lock.withLock { self.said += String(decoding: chunk, as: UTF8.self) }
      }
    }.start()
    // tcpdump says "listening on" once its socket is bound; nothing sent before that is captured.
    for _ in 0..<100 where !lock.withLock({ said.contains("listening on") }) { usleep(50_000) }
    guard lock.withLock({ said.contains("listening on") }) else {
      stopNow()
      throw Shell.Failure(description: "tcpdump did not start: \(lock.withLock { said })")
    }
  }

  /// Waits up to `seconds` for tcpdump to have its frames, and returns those it wrote.
  func frames(within seconds: Int = 5) throws -> [[UInt8]] {
    for _ in 0..<(seconds * 20) where process.isRunning { usleep(50_000) }
    stopNow()
    let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data())
    // pcap: a 24-byte file header, then per frame a 16-byte header whose third word is the captured length.
    var frames: [[UInt8]] = []
    var offset = 24
    while offset + 16 <= bytes.count {
      let length = bytes[(offset + 8)..<(offset + 12)].reversed().reduce(0) { $0 << 8 | Int($1) }
      guard offset + 16 + length <= bytes.count else { break }
      frames.append(Array(bytes[(offset + 16)..<(offset + 16 + length)]))
      offset += 16 + length
    }
    return frames
  }

  private func stopNow() {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  deinit { stopNow() }

  static func mac(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
  }
}
