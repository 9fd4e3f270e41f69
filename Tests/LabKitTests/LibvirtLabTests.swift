import Foundation
import Testing

@testable import LabKit

/// A `libvirt: true` host with the three kinds of real domain, and a host the lab plays libvirt on.
let libvirtTopology = """
  lab: lv
  segments:
    - { name: lan, subnet: 10.0.0.0/8 }
  hosts:
    - name: kvm1
      libvirt: true
      interfaces: [{ name: osa10, segment: lan, address: 10.131.1.254/8 }]
      hook:
        guestNetworks:
          - { name: guests, bridge: br-ex, libvirtNetwork: ovs-guests, gateway: 10.136.1.254/24, mtu: 1500, uplinks: [] }
        uplinks: []
      guests:
        - { name: c1, address: 10.136.1.5/8, gateway: 10.136.1.254 }
        - { name: c2, domain: lxc, attach: network, address: 10.136.1.6/8, gateway: 10.136.1.254 }
        - { name: vm1, domain: qemu, image: libvirt/guest-image, address: 10.136.1.9/8, gateway: 10.136.1.254 }
    - name: kvm2
      interfaces: [{ name: osa10, segment: lan, address: 10.131.2.254/8 }]
      hook: { guestNetworks: [], uplinks: [] }
      guests:
        - { name: g2, address: 10.136.2.5/8 }
  machines:
    - name: prod
      interfaces: [{ name: eth0, segment: lan, address: 10.0.0.10/8 }]
  tests:
    - phase: p
      do:
        - { shutdown: c1 }
        - { reconcile: kvm1 }
      expect:
        - reach: { from: vm1, to: prod, probes: [ping] }
        - reach: { from: prod, to: vm1, probes: [ping] }
        - libvirtLog: { host: kvm1, called: [prepare, reconnect] }
  """

@Suite struct LibvirtLabTests {
  @Test func parsesRealDomains() throws {
    let topology = try TopologyParser.parse(libvirtTopology)
    let host = try #require(topology.host(named: "kvm1"))
    #expect(host.libvirt)
    #expect(topology.host(named: "kvm2")?.libvirt == false)
    #expect(host.guests.map(\.domain) == [.lxc, .lxc, .qemu])
    #expect(host.guests.map(\.attachment) == [.bridge, .network, .bridge])
    #expect(host.guests[2].image == "libvirt/guest-image")
    #expect(topology.guest(named: "g2")?.domain == nil)
    #expect(topology.tests[0].actions == [.shutdown(guest: "c1"), .reconcile(host: "kvm1")])
    #expect(
      topology.tests[0].expectations[2].kind == .libvirtLog(host: "kvm1", called: ["prepare", "reconnect"]))
  }

  @Test func realDomainsGetNoNamespaceFromUp() throws {
    let topology = try TopologyParser.parse(libvirtTopology)
    let plan = BuildPlan(topology: topology, names: LabNames(lab: "lv"))
    #expect(plan.namespaces == ["rl-lv-lan", "rl-lv-kvm1", "rl-lv-kvm2", "rl-lv-g2", "rl-lv-prod"])
  }

  static let errorCases: [ParseErrorCase] = [
    (
      "    libvirt: true\n", "",
      "topology.yaml:13:29: hosts[0].guests[1].domain: 'domain' needs a host with libvirt: true"
    ),
    (
      "domain: lxc, attach: network", "domain: kvm, attach: network",
      "topology.yaml:14:29: hosts[0].guests[1].domain: 'kvm' is not a domain kind (lxc or qemu)"
    ),
    (
      "libvirtNetwork: ovs-guests, ", "",
      "topology.yaml:14:42: hosts[0].guests[1].attach: attach: network needs a libvirtNetwork for bridge br-ex in the hook config"
    ),
    (
      "domain: qemu, image: libvirt/guest-image,", "domain: qemu,",
      "topology.yaml:15:9: hosts[0].guests[2]: a qemu domain needs 'image': the command that builds its kernel and initramfs"
    ),
    (
      "    libvirt: true\n", "    libvirt: true\n    switch: { kind: linux-bridge }\n",
      "topology.yaml:7:21: hosts[0].switch.kind: a libvirt host's guests attach through an OVS virtualport"
    ),
    (
      "reach: { from: prod, to: vm1, probes: [ping] }", "reach: { from: prod, to: vm1 }",
      "topology.yaml:31:34: tests[0].expect[1].reach.to: vm1 is a qemu domain with no TCP server: use probes: [ping]"
    ),
    (
      "reach: { from: vm1, to: prod, probes: [ping] }", "arp: { from: vm1, for: prod, answeredBy: nobody }",
      "topology.yaml:30:22: tests[0].expect[0].arp.from: vm1 is a qemu domain: it can only be the source of a plain ping"
    ),
    (
      "      - { reconcile: kvm1 }", "      - { reconcile: kvm2 }",
      "topology.yaml:28:22: tests[0].do[1].reconcile: reconcile asks libvirt: kvm2 needs libvirt: true"
    ),
    (
      "      - { shutdown: c1 }", "      - { migrate: c1, to: kvm2 }",
      "topology.yaml:27:20: tests[0].do[0].migrate: c1 is a real libvirt domain; the lab migrates only its own guests"
    ),
    (
      "libvirtLog: { host: kvm1,", "libvirtLog: { host: kvm2,",
      "topology.yaml:32:29: tests[0].expect[2].libvirtLog.host: 'kvm2' is not a host with libvirt: true"
    ),
  ]

  @Test(arguments: 0..<errorCases.count)
  func reportsLineAndField(_ index: Int) {
    expectParseError(in: libvirtTopology, Self.errorCases[index], index: index)
  }

  func domain(_ name: String) throws -> RealDomain {
    let topology = try TopologyParser.parse(libvirtTopology)
    let guest = try #require(topology.guest(named: name))
    return RealDomain(
      guest: guest, host: topology.host(named: "kvm1")!, lab: "lv", names: LabNames(lab: "lv"),
      image: guest.domain == .qemu ? ("/cache/vmlinuz", "/cache/initramfs.img") : nil)
  }

  @Test func lxcDomainOnTheBridgeThroughAnOVSVirtualport() throws {
    let c1 = try domain("c1")
    let xml = c1.xml
    #expect(xml.hasPrefix("<domain type='lxc'>\n  <name>c1</name>\n"))
    #expect(xml.contains("<rh:interface mac=\"\(c1.guest.mac)\" address=\"10.136.1.5\"/>"))
    #expect(xml.contains("<init>/run/routed-lab/lv/kvm1/guests/c1.init</init>"))
    #expect(
      xml.contains(
        """
            <interface type='bridge'>
              <mac address='\(c1.guest.mac)'/>
              <source bridge='br-ex'/>
              <virtualport type='openvswitch'/>
              <mtu size='1500'/>
            </interface>
        """))
    #expect(xml.contains("xmlns:rh=\"urn:routed-hook:1\""))
  }

  @Test func lxcDomainOnTheLibvirtNetwork() throws {
    let xml = try domain("c2").xml
    #expect(xml.contains("<interface type='network'>"))
    #expect(xml.contains("<source network='ovs-guests'/>"))
    #expect(!xml.contains("virtualport"))
  }

  @Test func qemuDomainBootsTheImageWithItsAddressOnTheCommandLine() throws {
    let xml = try domain("vm1").xml
    #expect(xml.hasPrefix("<domain type='qemu'>"))
    #expect(xml.contains("<kernel>/cache/vmlinuz</kernel>"))
    #expect(xml.contains("<initrd>/cache/initramfs.img</initrd>"))
    #expect(
      xml.contains("<cmdline>console=ttyS0 quiet rh.address=10.136.1.9/8 rh.gateway=10.136.1.254</cmdline>"))
    #expect(xml.contains("<source mode='bind' path='/run/routed-lab/lv/kvm1/guests/vm1.serial'/>"))
    #expect(xml.contains("<model type='virtio'/>"))
    #expect(xml.contains("<host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off'/>"))
  }

  @Test func containerInitConfiguresItsNICAndEndsOnSIGTERM() throws {
    let script = try domain("c1").initScript
    #expect(script.hasPrefix("#!/bin/sh\n"))
    #expect(script.contains("ip address add 10.136.1.5/8 dev eth0\nip link set eth0 up\n"))
    #expect(script.contains("ip route add default via 10.136.1.254 dev eth0 onlink"))
    #expect(script.contains("trap 'exit 0' TERM"))
  }

  @Test func libvirtNetworkIsForwardModeBridgeOnOVS() {
    let xml = RealDomain.networkXML(LibvirtNetwork(name: "ovs-guests", bridge: "br-ex"), lab: "lv")
    #expect(
      xml.contains("<forward mode='bridge'/>\n  <bridge name='br-ex'/>\n  <virtualport type='openvswitch'/>"))
  }

  @Test func serialReplyIsTheOutputBetweenTheEchoAndItsOwnMarker() {
    let command = "ping -c 1 -w 3 10.0.0.10"
    let echo = "\(command) 2>&1; echo \"@rl-k3 $? $((6*7))@\"\r\n"
    let text =
      "@rl-old1 0 42@\r\n" + echo + "PING 10.0.0.10 (10.0.0.10): 56 data bytes\r\n"
      + "1 packets transmitted, 1 packets received, 0% packet loss\r\n@rl-k3 1 42@\r\n"
    let reply = SerialConsole.reply(in: text, nonce: "k3")
    #expect(reply?.status == 1)
    #expect(reply?.output.hasPrefix("PING 10.0.0.10") == true)
    #expect(reply?.output.contains("1 packets transmitted, 1 packets received") == true)
    // An abandoned command's answer, or the echo alone, is no reply to this one.
    #expect(SerialConsole.reply(in: "@rl-old1 0 42@\r\n" + echo, nonce: "k3") == nil)
  }

  /// Lines as libvirt 9.0's libvirtd logged them in the lab, including a real refusal of `prepare`.
  static let log = """
    2026-11-26 13:40:10.777+0000: 5253: debug : virHookCheck:191 : Found hook script /etc/libvirt/hooks/lxc.d/routed-hook
    2026-11-26 13:40:10.807+0000: 5255: debug : virRunScript:279 : Calling hook /etc/libvirt/hooks/network.d/routed-hook id=guests op=start subop=begin extra=-
    2026-11-26 13:40:10.884+0000: 5256: debug : virRunScript:279 : Calling hook /etc/libvirt/hooks/lxc.d/routed-hook id=web01 op=prepare subop=begin extra=-
    2026-11-26 13:40:47.050+0000: 6867: error : dnsmasqCapsNewFromBinary:673 : Unable to find 'dnsmasq' binary in $PATH: No such file or directory
    2026-11-26 13:40:47.709+0000: 6855: error : virRunScript:294 : Hook script execution failed: internal error: Child process (HOME=/root /etc/libvirt/hooks/lxc.d/routed-hook bad01 prepare begin -) unexpected exit status 1: routed-hook: prepare bad01: domain bad01: NIC 52:54:00:99:00:05 address 10.99.0.5 is outside guest network 'guests' (10.136.11.0/24)
    2026-11-26 13:40:48.100+0000: 5256: debug : virRunScript:279 : Calling hook /etc/libvirt/hooks/lxc.d/routed-hook id=web01 op=reconnect subop=begin extra=-
    """

  @Test func hookRunsAndFailuresFromLibvirtdsLog() {
    let runs = LibvirtGuests.hookRuns(log: Self.log)
    #expect(runs.ops == ["start", "prepare", "reconnect"])
    #expect(runs.failures.count == 1)
    #expect(runs.failures.first?.contains("is outside guest network 'guests'") == true)
    #expect(
      LibvirtGuests.hookRuns(log: Self.log.replacingOccurrences(of: "error : virRunScript", with: "x"))
        .failures.isEmpty)
  }
}
