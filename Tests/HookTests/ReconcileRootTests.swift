import Foundation
import Testing

/// `routed-hook reconcile` on a routed host in throwaway namespaces, asking libvirt's test driver what runs.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct ReconcileRootTests {
  @Test func restoresExactlyTheDesiredStateAfterAFlush() throws {
    let bed = try Testbed()
    for index in 0..<3 { try bed.start(index) }
    let uri = try TestDriverNode.write(running: [0, 1, 2], in: bed.scratch)
    let healthy = try KernelReadBack.read(bed.host)
    let healthyRules = try KernelReadBack.rules(bed.host).sorted()
    #expect(healthy.guestElements.count == 18 && healthy.routes.count == 3)
    let clean = try bed.reconcile(uri)
    #expect(
      clean.status == 0 && clean.stdout.contains("3 already right, 0 applied"),
      "\(clean.stdout)\(clean.stderr)")

    // An admin flushes the ruleset and deletes our routes by hand.
    try Shell.inNamespace(bed.host, ["nft", "flush", "ruleset"])
    try Shell.inNamespace(bed.host, ["ip", "route", "flush", "proto", "151"])
    #expect(try KernelReadBack.read(bed.host).elements.isEmpty)
    #expect(try bed.status().status == 1, "status sees what is missing")

    let dry = try bed.reconcile(uri, ["--dry-run"])
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(
      dry.stdout.contains("dry run, nothing changed: 3 routed domains running, 0 already right, 3 to apply"))
    #expect(try KernelReadBack.read(bed.host).elements.isEmpty, "a dry run changes nothing")

    let run = try bed.reconcile(uri)
    #expect(run.status == 0 && run.stdout.contains("baseline restored"), "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.split(separator: "\n").filter { $0.hasPrefix("apply") }.count == 3, "\(run.stdout)")
    #expect(try KernelReadBack.read(bed.host) == healthy)
    #expect(try KernelReadBack.rules(bed.host).sorted() == healthyRules)
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
    #expect(try bed.status().status == 0)
    let again = try bed.reconcile(uri)
    #expect(
      again.stdout.contains("3 already right, 0 applied, 0 stopped removed, 0 orphans removed"),
      "\(again.stdout)")
  }

  @Test func removesTheRecordAndObjectsOfADomainNoLongerRunning() throws {
    let bed = try Testbed(guestCount: 2)
    try bed.start(0)
    try bed.start(1)
    let before = try KernelReadBack.read(bed.host)
    // guest1 was destroyed while the hook was not installed: libvirt lists only guest0.
    let uri = try TestDriverNode.write(running: [0], in: bed.scratch)
    let run = try bed.reconcile(uri)
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(
      run.stdout.contains("remove  guest1 (\(Testbed.uuid(1))): not running; 7 recorded objects → removed 7"),
      "\(run.stdout)")
    let after = try KernelReadBack.read(bed.host)
    #expect(after.elements(of: "guest1").isEmpty && !after.routes.contains("10.136.11.6 br-ex"))
    #expect(after.elements == before.elements.subtracting(Testbed.expectedElements(1)))
    #expect(!FileManager.default.fileExists(atPath: "\(bed.stateDirectory)/\(Testbed.uuid(1)).json"))
    #expect(try !bed.ping(from: bed.production, "10.136.11.6"))
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
    #expect(try bed.status().status == 0)
  }

  @Test func removesOrphansAndRewritesALostRecord() throws {
    let bed = try Testbed(guestCount: 1)
    try bed.start(0)
    let healthy = try KernelReadBack.read(bed.host)
    // Objects with a domain comment and no record: a crash or a hand edit.
    try Shell.inNamespace(
      bed.host,
      ["nft", "add", "element", "inet", "routed_hook", "guests_guests", "{ 10.136.11.77 comment \"ghost\" }"])
    try Shell.inNamespace(
      bed.host,
      [
        "nft", "add", "element", "inet", "routed_hook", "egress",
        "{ 10.136.11.77 . \"osa10\" comment \"ghost\" }",
      ])
    try Shell.inNamespace(
      bed.host, ["ip", "route", "add", "10.136.11.77/32", "dev", "br-ex", "proto", "151"])
    // And guest0's record is lost (its objects stay).
    try FileManager.default.removeItem(atPath: "\(bed.stateDirectory)/\(Testbed.uuid(0)).json")
    let uri = try TestDriverNode.write(running: [0], in: bed.scratch)
    let run = try bed.reconcile(uri)
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    let lines = run.stdout.split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("orphan") }.count == 3, "\(run.stdout)")
    #expect(
      lines.contains { $0.hasPrefix("apply   guest0") && $0.contains("no record; 0 of 7 objects missing") },
      "\(run.stdout)")
    #expect(try KernelReadBack.read(bed.host) == healthy)
    #expect(FileManager.default.fileExists(atPath: "\(bed.stateDirectory)/\(Testbed.uuid(0)).json"))
    #expect(try bed.status().status == 0)
  }

  @Test func anUnopenableURIIsSkippedAndKeepsUnlistedRecords() throws {
    let bed = try Testbed(guestCount: 2)
    try bed.start(0)
    try bed.start(1)
    let uri = try TestDriverNode.write(running: [0], in: bed.scratch)
    let run = try bed.reconcile(uri, ["--connect", "test:///no/such/node.xml"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.hasPrefix("skipped test:///no/such/node.xml: cannot open"), "\(run.stdout)")
    #expect(run.stdout.contains("note    kept record of guest1"), "\(run.stdout)")
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest1") == Testbed.expectedElements(1))
    let none = try bed.reconcile("test:///no/such/node.xml")
    #expect(
      none.status == 1 && none.stderr.contains("no libvirt connection could be opened"), "\(none.stderr)")
  }
}
