import Foundation
import Glibc
@testable import HookRuntime
import RoutedCore
import RoutedKernel
import Testing

/// `reconcile` racing a guest's stop, in a throwaway namespace, with the hook calls made in-process exactly as
/// libvirt makes them. libvirt lists a domain as active, then answers for its state and XML only once a destroy
/// that holds the domain's lock is over; that destroy runs `stopped` and `release`. The listing closure does the
/// same: it takes the listing, then runs the stop's hook calls before returning it.
@Suite(.serialized, .enabled(if: getuid() == 0, "root is needed to create network namespaces"))
struct ListingRaceRootTests {
  @Test func aGuestStoppedWhileLibvirtIsListedIsNotRoutedAgain() throws {
    let host = try RoutedHost()
    defer { host.remove() }
    #expect(try host.hook("started", "begin") == 0)
    #expect(try host.traces() == ["route", "nft"], "started routes web01")

    let client = try LibvirtClient()
    var listings = 0
    // What the kernel routes for web01 at each point after its stop where the test can look (the re-listing after
    // the lock, and the end): the lab's "all destroyed" phase looked there and found vm01's route and elements.
    var seen: [[String]] = []
    let report = try host.routing.reconcile(config: host.config, dryRun: false) {
      listings += 1
      guard listings == 1 else {
        seen.append((try? host.traces()) ?? ["unreadable"])
        // web01 is shut off now: libvirt lists nothing active.
        return LibvirtListing(domains: [], connections: [Self.answered])
      }
      let listing = client.activeDomains(uris: [Fixture.uri])
      #expect(listing.connections == [Self.answered])
      #expect((try? host.hook("stopped", "end")) == 0)
      #expect((try? host.hook("release", "end", "destroyed")) == 0)
      return LibvirtListing(
        domains: listing.domains.filter { $0.identity.name == "web01" }, connections: listing.connections)
    }
    seen.append(try host.traces())

    #expect(seen.filter { !$0.isEmpty } == [], "web01 routed again after its stop")
    #expect(report.steps.isEmpty, "no apply and no undo: \(report.steps.map { "\($0.kind) \($0.detail)" })")
    #expect(listings == 1, "nothing was applied, so there is nothing to list again")
    #expect(
      report.notes == [
        "did not re-apply web01 (6f1c7d1e-2b4a-4c1e-9d55-000000000001): its record was removed while libvirt "
          + "was being listed; the next run decides"
      ])
    #expect(!FileManager.default.fileExists(atPath: "\(host.settings.stateDirectory)/\(Self.uuid).json"))
    let status = try host.routing.status(routeProtocol: host.config.routeProtocol)
    #expect(status.domains.isEmpty && status.orphans.isEmpty, "\(status.text())")

    // The next run, with libvirt's answer after the stop, agrees: nothing to do.
    let next = try host.routing.reconcile(config: host.config, dryRun: false) {
      LibvirtListing(domains: [], connections: [Self.answered])
    }
    #expect(next.steps.isEmpty && next.notes.isEmpty)
    #expect(try host.traces().isEmpty)
  }

  static let uuid = "6f1c7d1e-2b4a-4c1e-9d55-000000000001"
  static let answered = LibvirtConnectionResult(uri: Fixture.uri, error: nil, driverAbsent: false)
}

/// The fixture config's host in a throwaway namespace (`rhk-…`): br-ex, osa10 and osa172 with their addresses;
/// (their LAN ends stay in the namespace, down); routed-hook adds the rest. Its state directory is a scratch directory; `remove()` deletes both.
final class RoutedHost {
  let namespace = "rhk-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
  let scratch: URL
  let settings: Settings
  let routing: GuestRouting
  let config = Fixture.config

  /// web01 of the test node as libvirt hands it to a hook: running XML, with its tap.
  static let web01 = """
    <domain type='kvm'>
      <name>web01</name>
      <uuid>6f1c7d1e-2b4a-4c1e-9d55-000000000001</uuid>
      <metadata>
        <rh:guest xmlns:rh="urn:routed-hook:1">
          <rh:interface mac="52:54:00:11:00:05" address="10.136.11.5"/>
        </rh:guest>
      </metadata>
      <devices>
        <interface type='bridge'>
          <mac address='52:54:00:11:00:05'/>
          <source bridge='br-ex'/>
          <virtualport type='openvswitch'/>
          <target dev='vnet0'/>
        </interface>
      </devices>
    </domain>

    """

  init() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent(namespace)
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    settings = Settings(
      configPath: Fixture.path("routed-hook.yaml"),
      stateDirectory: scratch.appendingPathComponent("state").path)
    let namespace = namespace
    routing = GuestRouting(settings: settings, kernel: { try KernelHandle(networkNamespace: namespace) })
    do {
      try Self.ip(["netns", "add", namespace])
      for command in [
        ["link", "add", "br-ex", "type", "bridge"], ["link", "set", "br-ex", "up"],
        ["link", "add", "osa10", "type", "veth", "peer", "lan10"],
        ["address", "add", "10.131.11.254/8", "dev", "osa10"], ["link", "set", "osa10", "up"],
        ["link", "add", "osa172", "type", "veth", "peer", "lan172"],
        ["address", "add", "172.18.0.11/15", "dev", "osa172"], ["link", "set", "osa172", "up"],
      ] {
        try Self.ip(["-n", namespace] + command)
      }
    } catch {
      remove()
      throw error
    }
  }

  func remove() {
    _ = try? Self.ip(["netns", "del", namespace])
    try? FileManager.default.removeItem(at: scratch)
  }

  /// One qemu hook call for web01, as libvirt makes it (its XML on stdin); the exit status.
  func hook(_ operation: String, _ subOperation: String, _ extra: String = "-") throws -> Int32 {
    let file = scratch.appendingPathComponent("web01.xml")
    try Self.web01.write(to: file, atomically: true, encoding: .utf8)
    let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw SystemError("cannot open \(file.path)") }
    defer { close(descriptor) }
    return HookRunner.run(
      kind: .qemu, arguments: ["web01", operation, subOperation, extra], routing: routing, input: descriptor)
  }

  /// What the kernel holds for web01's address, read with ip and nft: "route" for a route to it, "nft" when the
  /// ruleset mentions it.
  func traces() throws -> [String] {
    let routes = try Self.ip(["-n", namespace, "-4", "route", "show", "10.136.11.5/32", "proto", "151"])
    let ruleset = try Self.ip(["netns", "exec", namespace, "nft", "list", "ruleset"])
    let tokens = Set(ruleset.split { !($0.isNumber || $0 == ".") }.map(String.init))
    return (routes.contains("10.136.11.5") ? ["route"] : []) + (tokens.contains("10.136.11.5") ? ["nft"] : [])
  }

  @discardableResult
  static func ip(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw SystemError(
        "ip \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(problem)")
    }
    return text
  }
}
