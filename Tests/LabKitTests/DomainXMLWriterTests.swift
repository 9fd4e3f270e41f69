import RoutedCore
import Testing

@testable import LabKit

@Suite struct DomainXMLWriterTests {
  let guest = Guest(
    name: "guest11a", host: "lpar11", address: .init("10.136.11.5/8")!, mac: LabMAC("52:54:00:11:00:05"),
    mtu: 57344, tap: "vnet0")

  @Test func runningDomainAsLibvirtWritesIt() {
    let xml = DomainXMLWriter.make(guest: guest, lab: "seed", bridge: "br-ex", switchKind: .ovs, id: 1)
    let uuid = guest.uuid(lab: "seed")
    #expect(
      xml == """
        <domain type='kvm' id='1'>
          <name>guest11a</name>
          <uuid>\(uuid)</uuid>
          <metadata>
            <rh:guest xmlns:rh="urn:routed-hook:1">
              <rh:interface mac="52:54:00:11:00:05" address="10.136.11.5"/>
            </rh:guest>
          </metadata>
          <memory unit='KiB'>524288</memory>
          <vcpu placement='static'>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
          </os>
          <devices>
            <interface type='bridge'>
              <mac address='52:54:00:11:00:05'/>
              <source bridge='br-ex'/>
              <virtualport type='openvswitch'>
                <parameters interfaceid='\(uuid)'/>
              </virtualport>
              <target dev='vnet0'/>
              <model type='virtio'/>
              <mtu size='57344'/>
              <alias name='net0'/>
            </interface>
          </devices>
        </domain>

        """)
  }

  @Test func releaseDomainHasNoTargetAndLinuxBridgeNoVirtualport() {
    let xml = DomainXMLWriter.make(
      guest: guest, lab: "seed", bridge: "br0", switchKind: .linuxBridge, id: 3, includeTarget: false)
    #expect(!xml.contains("<target"))
    #expect(!xml.contains("virtualport"))
    #expect(xml.contains("<source bridge='br0'/>"))
    #expect(xml.hasPrefix("<domain type='kvm'>"))
  }

  @Test func aDualStackGuestsMetadataCarriesAddress6() {
    var dual = guest
    dual.address6 = IPv6Interface("fd00:10::136:11:5/128")
    let xml = DomainXMLWriter.make(guest: dual, lab: "seed", bridge: "br-ex", switchKind: .ovs, id: 1)
    #expect(xml.contains("<rh:interface mac=\"52:54:00:11:00:05\" address=\"10.136.11.5\" address6=\"fd00:10::136:11:5\"/>"))
  }

  @Test func uuidIsStableAndWellFormed() {
    let uuid = guest.uuid(lab: "seed")
    #expect(uuid == guest.uuid(lab: "seed"))
    #expect(uuid != guest.uuid(lab: "other"))
    #expect(uuid.count == 36)
    #expect(uuid.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    #expect(Array(uuid)[14] == "4")
  }

  @Test func tapSideMACAsLibvirtSetsIt() {
    #expect(guest.mac.tapSide.description == "fe:54:00:11:00:05")
  }

  @Test func libvirtNetworkNICsAndTheirHookData() {
    let network = LibvirtNetwork(name: "ovs-guests", bridge: "br-ex")
    let uuid = guest.uuid(lab: "seed")
    let second = DomainNIC(
      mac: LabMAC("52:54:00:11:01:15")!, address: .init("10.136.11.15")!, tap: "vnet4", mtu: 57344,
      alias: "net1")
    let primary = DomainNIC(mac: guest.mac, address: guest.address.address, tap: "vnet0", mtu: 57344)
    let xml = DomainXMLWriter.make(
      name: "guest11a", uuid: uuid, nics: [primary, second], bridge: "br-ex", switchKind: .ovs,
      network: network,
      id: 1)
    #expect(xml.contains("<interface type='network'>"))
    #expect(xml.contains("<source network='ovs-guests' portid='"))
    #expect(xml.contains("<rh:interface mac=\"52:54:00:11:01:15\" address=\"10.136.11.15\"/>"))
    #expect(xml.contains("<target dev='vnet4'/>"))
    #expect(xml.contains("<alias name='net1'/>"))
    let status = DomainXMLWriter.status(domain: xml, pid: 4242)
    #expect(
      status.hasPrefix("<domstatus state='running' reason='booted' pid='4242'>\n  <domain type='kvm' id='1'>")
    )
    #expect(status.hasSuffix("  </domain>\n</domstatus>\n"))
    let data = DomainXMLWriter.hookData(
      network: network, lab: "seed", switchKind: .ovs, port: (domain: "guest11a", uuid: uuid, nic: second))
    #expect(data.hasPrefix("<hookData>\n  <network>\n    <name>ovs-guests</name>\n"))
    #expect(
      data.contains(
        "    <forward mode='bridge'/>\n    <bridge name='br-ex'/>\n    <virtualport type='openvswitch'/>"))
    #expect(data.contains("      <name>guest11a</name>\n      <uuid>\(uuid)</uuid>"))
    #expect(data.contains("    <mac address='52:54:00:11:01:15'/>"))
    #expect(data.contains("    <plug type='bridge' bridge='br-ex'/>"))
    #expect(data.hasSuffix("  </networkport>\n</hookData>\n"))
    // The same port ID in the domain XML and in the network hook's port.
    let portID = StableUUID.make(from: "\(uuid)/port/\(second.mac)")
    #expect(xml.contains("portid='\(portID)'") && data.contains("<uuid>\(portID)</uuid>"))
    let networkOnly = DomainXMLWriter.hookData(network: network, lab: "seed", switchKind: .ovs, port: nil)
    #expect(!networkOnly.contains("networkport"))
  }
}
