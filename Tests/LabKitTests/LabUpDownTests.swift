import Foundation
import Testing

@testable import LabKit

#if canImport(Glibc)
  import Glibc
#endif

/// A small lab with both switch kinds, no hook: two OVS guests, one Linux-bridge guest, one outside machine.
let smallTopology = """
  lab: lktest
  segments:
    - { name: lan, subnet: 10.0.0.0/8, mtu: 1500 }
  hosts:
    - name: kvm1
      switch: { kind: ovs, mtu: 9000 }
      interfaces: [{ name: osa10, segment: lan, address: 10.131.1.254/8 }]
      guests:
        - { name: g1, address: 10.136.1.5/8 }
        - { name: g2, address: 10.136.1.6/8 }
    - name: kvm2
      switch: { kind: linux-bridge, bridge: br0, mtu: 1500 }
      interfaces: [{ name: osa10, segment: lan, address: 10.131.2.254/8 }]
      guests:
        - { name: g3, address: 10.136.2.5/8 }
  machines:
    - name: prod
      interfaces: [{ name: eth0, segment: lan, address: 10.0.0.10/8 }]
  """

/// What the machine holds of lab `lktest`: only its own things, since other tests may build beside it.
struct MachineSnapshot: Equatable {
  var namespaces: [String]
  var rootLinks: [String]
  var ovsProcesses: [String]

  static func take() -> MachineSnapshot {
    let names = LabNames(lab: "lktest")
    let processes = FileSystem.list("/proc").filter { $0.allSatisfy(\.isNumber) }.compactMap {
      pid -> String? in
      guard let commandLine = FileSystem.read("/proc/\(pid)/cmdline"),
        commandLine.contains("/run/routed-lab/lktest")
      else { return nil }
      let state = FileSystem.read("/proc/\(pid)/stat")?.split(separator: " ").dropFirst(2).first
      return state == "Z" ? nil : pid
    }
    return MachineSnapshot(
      namespaces: LinkInventory.namespaces().filter { $0.hasPrefix(names.namespaceStem) }.sorted(),
      rootLinks: LinkInventory.links(namespace: nil).filter { link in
        link.altnames.contains { $0.hasPrefix(names.altnameStem) }
      }.map(\.name),
      ovsProcesses: processes)
  }
}

/// Root-only: builds real namespaces and private OVS daemons, then checks `down` leaves nothing behind.
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileSystem.exists(OVSDaemons.schema)))
struct LabUpDownTests {
  let names = LabNames(lab: "lktest")

  @Test func upBuildsAndDownRemovesEverything() throws {
    let topology = try TopologyParser.parse(smallTopology)
    let before = MachineSnapshot.take()
    let clock = PhaseClock()
    try LabBuilder(topology: topology, names: names, hook: nil, sourcePath: nil).up(clock: clock)
    defer { _ = try? LabTeardown(names: names).run() }

    let during = MachineSnapshot.take()
    #expect(Set(during.namespaces).isSuperset(of: BuildPlan(topology: topology, names: names).namespaces))
    #expect(during.ovsProcesses.count == 2, "one ovsdb-server and one ovs-vswitchd for kvm1")
    #expect(during.rootLinks.isEmpty, "the lab never adds links to the root namespace")
    #expect(before == MachineSnapshot(namespaces: [], rootLinks: [], ovsProcesses: []))
    // Every link the lab made in kvm1 carries its altname.
    let kvm1 = LinkInventory.links(namespace: names.namespace("kvm1"))
    #expect(kvm1.allSatisfy { $0.altnames.contains { $0.hasPrefix("rl.lktest.kvm1.") } })

    // The hardware works without any hook: guests on one OVS at MTU 9000 with DF, and the bridge host's LAN.
    let runner = ExpectationRunner(topology: topology, names: names, hook: nil)
    let checks: [ExpectationKind] = [
      .reach(from: "g1", to: .node("g2"), probes: [.ping, .tcp], port: 7, expected: true),
      .pmtu(from: "g1", to: .node("g2"), size: 8972, fits: true),
      .reach(
        from: "prod", to: .interface(InterfaceRef("kvm2.osa10")!), probes: [.ping, .tcp], port: 7,
        expected: true),
      .reach(from: "prod", to: .node("g1"), probes: [.ping], port: 7, expected: false),
    ]
    for kind in checks {
      let outcome = runner.check(Expectation(name: "", kind: kind))
      #expect(outcome.passed, "\(kind): \(outcome.measured)")
    }

    let report = try LabTeardown(names: names).run()
    #expect(report.leftovers.isEmpty)
    #expect(MachineSnapshot.take() == before)
    #expect(!FileSystem.exists(names.labDirectory))
  }

  @Test func downFinishesAHalfBuiltLab() throws {
    // What a killed `up` leaves: a journal naming a namespace that exists, and nothing else.
    let before = MachineSnapshot.take()
    let journal = Journal(names: names)
    try journal.start()
    try journal.record(namespaces: [names.namespace("half")])
    try Command.check(["ip", "netns", "add", names.namespace("half")])
    let report = try LabTeardown(names: names).run()
    #expect(report.namespaces == [names.namespace("half")])
    #expect(MachineSnapshot.take() == before)
  }

  @Test func hookIsCalledAsLibvirtCallsIt() throws {
    // A recording hook: argv, the two routed-hook variables, whether HOME leaked through, and the XML's target.
    let directory = "/tmp/lktest-hook-\(getpid())"
    try FileSystem.makeDirectory(directory)
    defer { FileSystem.remove(directory) }
    let log = "\(directory)/calls"
    let script = """
      #!/bin/sh
      xml=$(cat)
      target=$(printf '%s' "$xml" | grep -o "target dev='[^']*'" || echo "no-target")
      echo "$* | ${ROUTED_HOOK_CONFIG##*/lktest/} | ${ROUTED_HOOK_STATE_DIR##*/lktest/} | ${SHELLOPTS:-clean} | $target" >> \(log)
      """
    try FileSystem.write(script, to: "\(directory)/hook")
    chmod("\(directory)/hook", 0o755)
    var text = smallTopology.replacingOccurrences(
      of: "    switch: { kind: ovs, mtu: 9000 }",
      with: "    switch: { kind: ovs, mtu: 9000 }\n    hook: { routeProtocol: 151 }")
    text = text.replacingOccurrences(of: "      - { name: g2, address: 10.136.1.6/8 }\n", with: "")
    let topology = try TopologyParser.parse(text)
    let hook = HookDriver(names: names, hookPath: "\(directory)/hook")
    try LabBuilder(topology: topology, names: names, hook: hook, sourcePath: nil).up(clock: PhaseClock())
    defer { _ = try? LabTeardown(names: names).run() }
    let lifecycle = GuestLifecycle(topology: topology, names: names, hook: hook)
    try lifecycle.restartDaemon(host: "kvm1")
    _ = try lifecycle.stop(topology.guest(named: "g1")!)
    let calls = (FileSystem.read(log) ?? "").split(separator: "\n").map(String.init)
    let files = "kvm1/routed-hook.yaml | kvm1/hook-state | clean"
    #expect(
      calls == [
        "hook qemu g1 prepare begin - | \(files) | target dev='vnet0'",
        "hook qemu g1 start begin - | \(files) | target dev='vnet0'",
        "hook qemu g1 started begin - | \(files) | target dev='vnet0'",
        "hook qemu g1 reconnect begin - | \(files) | target dev='vnet0'",
        "hook qemu g1 stopped end - | \(files) | target dev='vnet0'",
        "hook qemu g1 release end destroyed | \(files) | no-target",
      ])
    // The tap is gone after stop, as libvirt removes it.
    #expect(!LinkInventory.links(namespace: names.namespace("kvm1")).contains { $0.name == "vnet0" })
    #expect(FileSystem.read(names.hookConfig("kvm1")) == "routeProtocol: 151\n")
  }
}
