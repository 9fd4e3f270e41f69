import Foundation
import Testing

/// Issue 11, part 4, on a routed host in throwaway namespaces: what the kernel holds after hostile input,
/// read back with `nft -j` and `ip -j`, and ARP answers seen from the LAN.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct HostileInputRootTests {
  /// One hook call for guest 0 under `name` (argv and XML), inside the host namespace.
  @discardableResult
  func call(_ bed: Testbed, name: String, _ op: String, _ subop: String, _ extra: String = "-", xml: String)
    throws -> HookProcess.Result
  {
    try HookProcess.run(
      ["hook", "qemu", name, op, subop, extra], stdin: Data(xml.utf8),
      environment: ["ROUTED_HOOK_CONFIG": bed.configPath, "ROUTED_HOOK_STATE_DIR": bed.stateDirectory],
      namespace: bed.host)
  }

  func lifecycle(_ bed: Testbed, name: String, xml: String, ops: [(String, String, String)]) throws {
    for (op, subop, extra) in ops {
      let result = try call(bed, name: name, op, subop, extra, xml: xml)
      #expect(result.status == 0 && result.stdout.isEmpty, "\(op): \(result.stderr)")
    }
  }

  static let start = [("prepare", "begin", "-"), ("start", "begin", "-"), ("started", "begin", "-")]
  static let stop = [("stopped", "end", "-"), ("release", "end", "destroyed")]

  /// Defect 2: with a domain name of 128 bytes or more, `stopped` left every element in place (ARP still
  /// answered for a stopped guest) and the next start with that address failed with "File exists".
  @Test func aGuestWithALongNameStopsWithoutALeak() throws {
    let bed = try Testbed(guestCount: 1)
    let name = String(repeating: "long-", count: 40)  // 200 bytes
    let xml = Testbed.domainXML(0).replacingOccurrences(of: "<name>guest0</name>", with: "<name>\(name)</name>")
    try lifecycle(bed, name: name, xml: xml, ops: Self.start)
    let comment = String(name.prefix(90)) + " " + Testbed.uuid(0)
    let started = try KernelReadBack.read(bed.host)
    #expect(started.elements(of: comment).count == 6, "\(started.elements)")
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") != nil)
    let status = try bed.status()
    #expect(status.status == 0, "status sees every object: \(status.stdout)\(status.stderr)")
    try lifecycle(bed, name: name, xml: xml, ops: Self.stop)
    let stopped = try KernelReadBack.read(bed.host)
    #expect(stopped.elements(of: comment).isEmpty, "\(stopped.elements)")
    #expect(!stopped.routes.contains("10.136.11.5 br-ex"))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == nil)
    // The address is free again: another domain starts with it.
    try bed.start(0)
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0").count == 6)
  }

  /// Defect 2, upgrade: a guest started by an earlier version (record: the whole long name; kernel: its
  /// first 127 bytes) is removed by this one.
  @Test func aLongNamedGuestStartedByTheOldVersionIsRemoved() throws {
    let bed = try Testbed(guestCount: 1)
    let name = String(repeating: "old-", count: 50)  // 200 bytes
    let xml = Testbed.domainXML(0).replacingOccurrences(of: "<name>guest0</name>", with: "<name>\(name)</name>")
    try lifecycle(bed, name: name, xml: xml, ops: Self.start)
    // Rewrite what the old version left: each element's comment cut by the kernel, the record's whole.
    let comment = String(name.prefix(90)) + " " + Testbed.uuid(0)
    let kept = String(name.prefix(127))
    for element in try KernelReadBack.read(bed.host).elements(of: comment) {
      let words = element.components(separatedBy: " # ")[0].split(separator: " ", maxSplits: 3).map(String.init)
      let key = words[3]
      try Shell.inNamespace(bed.host, ["nft", "delete", "element", words[0], words[1], words[2], "{ \(key) }"])
      try Shell.inNamespace(
        bed.host, ["nft", "add", "element", words[0], words[1], words[2], "{ \(key) comment \"\(kept)\" }"])
    }
    let recordPath = "\(bed.stateDirectory)/\(Testbed.uuid(0)).json"
    let record = try String(contentsOfFile: recordPath, encoding: .utf8)
    #expect(record.contains(comment))
    try record.replacingOccurrences(of: comment, with: name).write(
      toFile: recordPath, atomically: true, encoding: .utf8)
    #expect(try KernelReadBack.read(bed.host).elements(of: kept).count == 6)
    try lifecycle(bed, name: name, xml: xml, ops: Self.stop)
    #expect(try KernelReadBack.read(bed.host).elements(of: kept).isEmpty)
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.5") == nil)
  }

  /// Defect 3: a processing instruction holding another domain's `<uuid>` before the real one made `stopped`
  /// remove that other domain's record, route and elements.
  @Test func aHiddenUUIDNeverRemovesAnotherDomain() throws {
    let bed = try Testbed(guestCount: 2)
    try bed.start(0)
    try bed.start(1)
    for (hiding, extra) in [
      ("<?x <uuid>\(Testbed.uuid(1))</uuid> ?>", "-"), ("<!-- <uuid>\(Testbed.uuid(1))</uuid> -->", "destroyed"),
    ] {
      let xml = Testbed.domainXML(0).replacingOccurrences(of: "<name>guest0</name>", with: "\(hiding)<name>guest0</name>")
      let result = try call(bed, name: "guest0", "stopped", "end", extra, xml: xml)
      #expect(result.status == 0, "\(result.stderr)")
    }
    let state = try KernelReadBack.read(bed.host)
    #expect(state.elements(of: "guest0").isEmpty)
    #expect(state.elements(of: "guest1").count == 6, "the other domain keeps its routing")
    #expect(state.routes.contains("10.136.11.6 br-ex"))
    #expect(try bed.ping(from: bed.production, "10.136.11.6"))
  }

  /// Defect 11: a garbage record blocked that domain's start forever. It is moved aside and logged.
  @Test func aGarbageRecordIsMovedAsideAndTheGuestStarts() throws {
    let bed = try Testbed(guestCount: 1)
    try FileManager.default.createDirectory(atPath: bed.stateDirectory, withIntermediateDirectories: true)
    chmod(bed.stateDirectory, 0o700)
    let path = "\(bed.stateDirectory)/\(Testbed.uuid(0)).json"
    try "not a record".write(toFile: path, atomically: true, encoding: .utf8)
    try bed.start(0)
    #expect(FileManager.default.fileExists(atPath: path + ".corrupt"))
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0").count == 6)
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
  }

  /// Defect 9: a `domains:` key spelled with a YAML escape was routed by `plan` and ignored by the hook.
  @Test func anEscapedDomainsKeyIsRoutedByTheHookToo() throws {
    let bed = try Testbed(guestCount: 1)
    try (Testbed.config
      + "\"\\x64omains\":\n  guest0:\n    - { mac: \"\(Testbed.mac(0))\", address: \(Testbed.address(0)) }\n")
      .write(toFile: bed.configPath, atomically: true, encoding: .utf8)
    let xml = Testbed.domainXML(0).replacingOccurrences(of: "urn:routed-hook:1", with: "urn:other:1")
    let file = try bed.scratch.write("guest0.xml", xml)
    let plan = try HookProcess.run(["plan", "--config", bed.configPath, "--domain-xml", file], namespace: bed.host)
    #expect(plan.stdout.contains("comment \"guest0\""), "\(plan.stdout)\(plan.stderr)")
    try lifecycle(bed, name: "guest0", xml: xml, ops: Self.start)
    #expect(try KernelReadBack.read(bed.host).elements(of: "guest0").count == 6)
    #expect(try bed.ping(from: bed.production, "10.136.11.5"))
  }
}
