import Foundation
import Glibc
import LabKit
@testable import RoutedCore

/// Whether root-only tests can run; they are skipped, with the reason printed, otherwise.
let isRoot: Bool = {
  let root = getuid() == 0
  if !root { print("RoutedKernelTests: not root, skipping namespace integration tests") }
  return root
}()

struct CommandFailure: Error, CustomStringConvertible {
  var description: String
}

/// Runs a tool for the tests' independent view of the kernel (the code under test never runs any).
/// `daemon` is for programs that detach: they are spawned with only /dev/null as stdio and every other
/// descriptor closed, because Foundation's Process waits for a descriptor the daemon would otherwise inherit.
@discardableResult
func run(_ arguments: [String], allowFailure: Bool = false, daemon: Bool = false) throws -> String {
  if daemon {
    try spawnDaemon(arguments)
    return ""
  }
  let result = try Command.run(arguments, timeout: 600)
  if !result.succeeded && !allowFailure { throw CommandFailure(description: result.failureSummary) }
  return result.stdout
}

private func spawnDaemon(_ arguments: [String]) throws {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  for descriptor: Int32 in 0...2 {
    posix_spawn_file_actions_addopen(
      &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
  }
  let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
  for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
    posix_spawn_file_actions_addclose(&actions, descriptor)
  }
  let argv = arguments.map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) } }
  // Test-runner threads block signals and a spawned child inherits the mask: start with none blocked, or
  // the daemon would ignore the SIGTERM that stops it.
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var signals = sigset_t()
  sigemptyset(&signals)
  posix_spawnattr_setsigmask(&attributes, &signals)
  sigfillset(&signals)
  posix_spawnattr_setsigdefault(&attributes, &signals)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  var pid: pid_t = 0
  let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
  guard spawned == 0 else { throw CommandFailure(description: "\(arguments[0]): spawn failed: \(spawned)") }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  // The detaching parent exits 0 once the daemon is ready.
  guard status == 0 else {
    throw CommandFailure(description: "\(arguments.joined(separator: " ")): wait status \(status)")
  }
}

/// A network namespace made for one test and removed by `remove()`, which every test defers.
final class ThrowawayNamespace {
  let name = "rhk-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)

  init() throws { try run(["ip", "netns", "add", name]) }

  func remove() { _ = try? run(["ip", "netns", "del", name]) }

  @discardableResult
  func ip(_ arguments: String...) throws -> String { try run(["ip", "-n", name] + arguments) }

  @discardableResult
  func exec(_ arguments: String...) throws -> String { try run(["ip", "netns", "exec", name] + arguments) }

  /// `nft list ruleset` text.
  func ruleset() throws -> String { try exec("nft", "list", "ruleset") }

  /// `nft -j list ruleset`, as the array under "nftables".
  func rulesetJSON() throws -> [[String: Any]] {
    let data = Data(try exec("nft", "-j", "list", "ruleset").utf8)
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return object?["nftables"] as? [[String: Any]] ?? []
  }

  /// `ip -j route show proto <p>`.
  func routes(routeProtocol: UInt8) throws -> [[String: Any]] {
    let data = Data(try ip("-j", "route", "show", "proto", "\(routeProtocol)").utf8)
    return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
  }

  func sysctl(_ interface: String, _ key: String) throws -> String {
    try exec("cat", "/proc/sys/net/ipv4/conf/\(interface)/\(key)").trimmingCharacters(
      in: .whitespacesAndNewlines)
  }

  /// A host: bridge br-ex (down, MTU 1500), uplinks osa10 (10.131.11.254/24) and osa172 (172.18.0.11/15)
  /// as veths whose peers stay in the namespace, and a down interface for failure tests. With `ovs`, br-ex is
  /// the internal port of an OVS netdev bridge run by that private instance instead of a Linux bridge.
  func buildHost(ovs: PrivateOVS? = nil) throws {
    try ip("link", "set", "lo", "up")
    if let ovs {
      try ovs.addNetdevBridge("br-ex")
    } else {
      try ip("link", "add", "br-ex", "type", "bridge")
    }
    try ip("link", "add", "osa10", "type", "veth", "peer", "name", "osa10p")
    try ip("link", "add", "osa172", "type", "veth", "peer", "name", "osa172p")
    try ip("link", "add", "down0", "type", "veth", "peer", "name", "down0p")
    for link in ["osa10", "osa10p", "osa172", "osa172p"] { try ip("link", "set", link, "up") }
    try ip("address", "add", "10.131.11.254/24", "dev", "osa10")
    try ip("address", "add", "172.18.0.11/15", "dev", "osa172")
  }
}

/// A private Open vSwitch (userspace datapath) in a namespace; `stop()` ends exactly the two daemons it started.
final class PrivateOVS {
  let namespace: ThrowawayNamespace
  let directory: String
  private var environment: [String] {
    ["OVS_RUNDIR=\(directory)", "OVS_LOGDIR=\(directory)", "OVS_DBDIR=\(directory)"]
  }
  private var database: String { "--db=unix:\(directory)/db.sock" }

  static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/ovs-vswitchd") }

  init(in namespace: ThrowawayNamespace) throws {
    self.namespace = namespace
    directory = NSTemporaryDirectory() + "rhk-ovs-" + namespace.name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try run(
      ["ovsdb-tool", "create", "\(directory)/conf.db", "/usr/share/openvswitch/vswitch.ovsschema"])
    try run(
      ["ip", "netns", "exec", namespace.name, "env"] + environment + [
        "ovsdb-server", "--remote=punix:\(directory)/db.sock", "--unixctl=\(directory)/ovsdb.ctl",
        "--pidfile=\(directory)/ovsdb.pid", "--detach", "--no-chdir", "--log-file=\(directory)/ovsdb.log",
        "\(directory)/conf.db",
      ], daemon: true)
    try run(["env"] + environment + ["ovs-vsctl", database, "--no-wait", "init"])
    try run(
      ["ip", "netns", "exec", namespace.name, "env"] + environment + [
        "ovs-vswitchd", "unix:\(directory)/db.sock", "--unixctl=\(directory)/vswitchd.ctl",
        "--pidfile=\(directory)/vswitchd.pid", "--detach", "--no-chdir",
        "--log-file=\(directory)/vswitchd.log",
      ], daemon: true)
  }

  func addNetdevBridge(_ name: String) throws {
    try run(
      ["env"] + environment + [
        "ovs-vsctl", database, "add-br", name, "--", "set", "bridge", name, "datapath_type=netdev",
      ])
  }

  func stop() {
    for daemon in ["vswitchd", "ovsdb"] {
      if let text = try? String(contentsOfFile: "\(directory)/\(daemon).pid", encoding: .utf8),
        let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
      {
        kill(pid, SIGTERM)
      }
    }
    usleep(200_000)
    _ = try? FileManager.default.removeItem(atPath: directory)
  }
}

/// The plan the planner makes for the talk's host, written out by hand so these tests do not depend on it:
/// guest network "production" on br-ex, proxy-ARP uplink osa10 and masquerading uplink osa172.
enum SamplePlan {
  static let routeProtocol: UInt8 = 151
  static let guests = OwnedSet(table: .filter, name: "guests_production", keyType: .address)
  static let egress = OwnedSet(table: .filter, name: "egress", keyType: .addressAndInterface)
  static let ingress = OwnedSet(table: .filter, name: "ingress", keyType: .addressAndInterface)
  static let masquerade = OwnedSet(table: .nat, name: "masquerade_guests", keyType: .addressAndInterface)
  static let answer = OwnedSet(table: .arpFilter, name: "answer_production", keyType: .address)
  static let peerRoute = OwnedRoute(
    destination: IPv4Network("10.136.12.0/24")!, gateway: IPv4Address("10.131.11.12")!, device: "osa10",
    routeProtocol: routeProtocol)

  static var baseline: [KernelObject] {
    [
      .link(interface: "br-ex", mtu: 9000),
      .address(interface: "br-ex", .v4(IPv4Interface("10.136.11.254/24")!), routeProtocol: routeProtocol),
      .sysctl(InterfaceSysctl(interface: "br-ex", key: .forwarding, value: 1)),
      .sysctl(InterfaceSysctl(interface: "br-ex", key: .proxyARP, value: 1)),
      .sysctl(InterfaceSysctl(interface: "osa10", key: .forwarding, value: 1)),
      .sysctl(InterfaceSysctl(interface: "osa10", key: .proxyARP, value: 1)),
      .sysctl(InterfaceSysctl(interface: "osa172", key: .forwarding, value: 1)),
      .table(.filter), .set(guests), .set(egress), .set(ingress),
      .chain(
        OwnedChain(
          table: .filter, name: "prerouting", kind: .filter, hook: .prerouting, priority: -150,
          rules: [.dropSpoofed(bridge: "br-ex", set: guests.name)])),
      .chain(
        OwnedChain(
          table: .filter, name: "forward", kind: .filter, hook: .forward, priority: 0,
          rules: [
            .acceptBridged(bridge: "br-ex"), .acceptEgress(bridge: "br-ex", set: egress.name),
            .acceptIngress(bridge: "br-ex", set: ingress.name),
            .acceptReplies(bridge: "br-ex"), .dropFromBridge(bridge: "br-ex"), .dropToBridge(bridge: "br-ex"),
          ])),
      .table(.nat), .set(masquerade),
      .chain(
        OwnedChain(
          table: .nat, name: "postrouting", kind: .nat, hook: .postrouting, priority: 100,
          rules: [.masquerade(set: masquerade.name)])),
      .table(.arpFilter), .set(answer),
      .chain(
        OwnedChain(
          table: .arpFilter, name: "input", kind: .filter, hook: .input, priority: 0,
          rules: [.dropARPRequests(interface: "osa10", set: answer.name)])),
      .element(answer, SetElementKey(address: IPv4Address("10.131.11.254")!), comment: "host"),
      .route(peerRoute),
    ]
  }

  /// The per-guest objects of a guest at `address` named `name`.
  static func guest(_ name: String, _ address: String, device: String = "br-ex") -> [KernelObject] {
    let address = IPv4Address(address)!
    return [
      .element(guests, SetElementKey(address: address), comment: name),
      .element(egress, SetElementKey(address: address, interface: "osa10"), comment: name),
      .element(egress, SetElementKey(address: address, interface: "osa172"), comment: name),
      .element(ingress, SetElementKey(address: address, interface: "osa10"), comment: name),
      .element(answer, SetElementKey(address: address), comment: name),
      .element(masquerade, SetElementKey(address: address, interface: "osa172"), comment: name),
      .route(OwnedRoute(destination: .host(address), device: device, routeProtocol: routeProtocol)),
    ]
  }

  static func start(_ name: String, _ address: String, device: String = "br-ex") -> Plan {
    Plan(baseline: baseline, guestChanges: guest(name, address, device: device).map(KernelChange.add))
  }

  static func stop(_ name: String, _ address: String) -> Plan {
    Plan(guestChanges: guest(name, address).map(KernelChange.remove))
  }
}
