import Foundation
import Testing

/// The libvirt network hook on a routed host: baseline with the network, one NIC per port, hotplug.
@Suite(.serialized, .enabled(if: Shell.isRoot, "root is needed to create network namespaces"))
struct NetworkHookProcessTests {
  @Test func networkStartedMakesTheBaselineAndStoppedRemovesItWhenUnused() throws {
    let bed = try Testbed(guestCount: 1)
    #expect(try bed.networkHook("start").status == 0)
    let started = try bed.networkHook("started")
    #expect(started.status == 0 && started.stdout.isEmpty, "\(started.stderr)")
    var state = try KernelReadBack.read(bed.host)
    #expect(state.tables.isSuperset(of: ["arp routed_hook", "inet routed_hook", "ip routed_hook_nat"]))
    let addresses = try Shell.run(["ip", "-n", bed.host, "-o", "address", "show", "br-ex"]).out
    #expect(addresses.contains("10.136.11.254/24"))

    try bed.start(0)
    #expect(try bed.networkHook("stopped").status == 0)
    state = try KernelReadBack.read(bed.host)
    #expect(state.tables.contains("inet routed_hook"), "kept while a guest is routed")

    try bed.stop(0)
    #expect(try bed.networkHook("stopped").status == 0)
    state = try KernelReadBack.read(bed.host)
    #expect(!state.tables.contains("inet routed_hook") && !state.tables.contains("arp routed_hook"))
    #expect(
      try !Shell.run(["ip", "-n", bed.host, "-o", "address", "show", "br-ex"]).out.contains("10.136.11.254"))
    #expect(
      try Shell.inNamespace(bed.host, ["cat", "/proc/sys/net/ipv4/conf/osa10/proxy_arp"]).out.hasPrefix("0"))
  }

  @Test func portCreatedRoutesAHotPluggedNICAndPortDeletedRemovesIt() throws {
    let bed = try Testbed(guestCount: 2)
    try bed.start(0)
    // Guest 1's NIC arrives by hotplug: the qemu hook never hears of it, the network hook does.
    try bed.writeStatusFile(1)
    let created = try bed.networkHook("port-created", port: 1)
    #expect(created.status == 0 && created.stdout.isEmpty && created.stderr.isEmpty, "\(created.stderr)")
    #expect(try bed.ping(from: bed.production, "10.136.11.6"))
    #expect(try bed.arpAnswer(from: bed.production, for: "10.136.11.6") == bed.mac(of: "osa10", in: bed.host))
    let routed = try KernelReadBack.read(bed.host)
    #expect(routed.elements(of: "guest1").count == 6)

    // Daemon restart sends port-created again; started for the same NIC finds it applied.
    #expect(try bed.networkHook("port-created", port: 1).status == 0)
    try bed.start(1)
    #expect(try KernelReadBack.read(bed.host) == routed)

    let deleted = try bed.networkHook("port-deleted", port: 1)
    #expect(deleted.status == 0 && deleted.stderr.isEmpty, "\(deleted.stderr)")
    let unplugged = try KernelReadBack.read(bed.host)
    #expect(unplugged.elements(of: "guest1").isEmpty)
    #expect(!unplugged.routes.contains("10.136.11.6 br-ex"))
    #expect(unplugged.elements(of: "guest0") == routed.elements(of: "guest0"), "the other guest is untouched")
    #expect(try !bed.ping(from: bed.production, "10.136.11.6"))
    #expect(try bed.status().status == 0)
  }

  @Test func portsOfForeignNetworksAreIgnored() throws {
    let bed = try Testbed(guestCount: 1)
    let foreign = Testbed.hookData(port: 0).replacingOccurrences(of: "ovs-guests", with: "default")
      .replacingOccurrences(of: "br-ex", with: "virbr0")
    let result = try HookProcess.run(
      ["hook", "network", "default", "port-created", "begin", "-"], stdin: Data(foreign.utf8),
      environment: ["ROUTED_HOOK_CONFIG": bed.configPath, "ROUTED_HOOK_STATE_DIR": bed.stateDirectory],
      namespace: bed.host)
    #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty)
    #expect(try KernelReadBack.read(bed.host).tables.isEmpty)
  }
}
