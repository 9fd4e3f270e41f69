import RoutedCore

/// One NIC of a domain as the lab runs it: the guest's primary NIC or a hot-plugged one.
public struct DomainNIC: Sendable, Equatable {
  public var mac: LabMAC
  public var address: IPv4Address
  /// The NIC's IPv6 address (`address6` in the metadata), if it has one.
  public var address6: IPv6Address?
  /// The tap (`vnetN`) on the host; nil in release-time XML, where libvirt has dropped `<target dev>`.
  public var tap: String?
  public var mtu: Int
  /// `<alias name=…>`: net0, net1, … in the order the NICs were added.
  public var alias: String = "net0"
}

public enum DomainXMLWriter {
  /// `includeTarget` is false for `release`, where libvirt has already dropped `<target dev>`.
  public static func make(
    guest: Guest, lab: String, bridge: String, switchKind: SwitchKind, id: Int, includeTarget: Bool = true
  )
    -> String
  {
    let nic = DomainNIC(
      mac: guest.mac, address: guest.address.address, address6: guest.address6?.address,
      tap: includeTarget ? guest.tap : nil, mtu: guest.mtu)
    return make(
      name: guest.name, uuid: guest.uuid(lab: lab), nics: [nic], bridge: bridge, switchKind: switchKind,
      network: nil, id: includeTarget ? id : nil)
  }

  /// A domain with any number of NICs on one bridge; with `network` they are `type='network'` NICs of that
  /// libvirt network (live XML shows the port and the bridge it resolved to). `id` nil: an inactive domain.
  /// `metadata` lists NICs whose address is known but which are not (yet) plugged in.
  public static func make(
    name: String, uuid: String, nics: [DomainNIC], bridge: String, switchKind: SwitchKind,
    network: LibvirtNetwork?, id: Int?, metadata extra: [DomainNIC] = []
  ) -> String {
    var lines = [
      id.map { "<domain type='kvm' id='\($0)'>" } ?? "<domain type='kvm'>",
      "  <name>\(name)</name>",
      "  <uuid>\(uuid)</uuid>",
      "  <metadata>",
      "    <rh:guest xmlns:rh=\"urn:routed-hook:1\">",
    ]
    for nic in nics + extra {
      let address6 = nic.address6.map { " address6=\"\($0)\"" } ?? ""
      lines.append("      <rh:interface mac=\"\(nic.mac)\" address=\"\(nic.address)\"\(address6)/>")
    }
    lines += [
      "    </rh:guest>",
      "  </metadata>",
      "  <memory unit='KiB'>524288</memory>",
      "  <vcpu placement='static'>1</vcpu>",
      "  <os>",
      "    <type arch='x86_64' machine='pc'>hvm</type>",
      "  </os>",
      "  <devices>",
    ]
    for nic in nics {
      let port = StableUUID.make(from: "\(uuid)/port/\(nic.mac)")
      if let network {
        lines += [
          "    <interface type='network'>",
          "      <mac address='\(nic.mac)'/>",
          "      <source network='\(network.name)' portid='\(port)' bridge='\(bridge)'/>",
        ]
      } else {
        lines += [
          "    <interface type='bridge'>",
          "      <mac address='\(nic.mac)'/>",
          "      <source bridge='\(bridge)'/>",
        ]
      }
      if switchKind == .ovs {
        lines += [
          "      <virtualport type='openvswitch'>",
          "        <parameters interfaceid='\(portID(uuid: uuid, nic: nic))'/>",
          "      </virtualport>",
        ]
      }
      if let tap = nic.tap { lines.append("      <target dev='\(tap)'/>") }
      lines += [
        "      <model type='virtio'/>",
        "      <mtu size='\(nic.mtu)'/>",
        "      <alias name='\(nic.alias)'/>",
        "    </interface>",
      ]
    }
    lines += ["  </devices>", "</domain>", ""]
    return lines.joined(separator: "\n")
  }

  /// The OVS `interfaceid` libvirt sets: the domain UUID for the first NIC (as before), one per MAC after.
  static func portID(uuid: String, nic: DomainNIC) -> String {
    nic.alias == "net0" ? uuid : StableUUID.make(from: "\(uuid)/iface/\(nic.mac)")
  }

  /// libvirt's status file (`/run/libvirt/qemu/<domain>.xml`): the live domain inside `<domstatus>`.
  public static func status(domain xml: String, pid: Int) -> String {
    let body = xml.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.isEmpty ? "" : "  \($0)"
    }
    return
      (["<domstatus state='running' reason='booted' pid='\(pid)'>"] + body.dropLast() + ["</domstatus>", ""])
      .joined(separator: "\n")
  }

  /// The network hook's stdin: `<hookData><network>…</network>[<networkport>…</networkport>]</hookData>`.
  public static func hookData(
    network: LibvirtNetwork, lab: String, switchKind: SwitchKind,
    port: (domain: String, uuid: String, nic: DomainNIC)?
  ) -> String {
    var lines = [
      "<hookData>",
      "  <network>",
      "    <name>\(network.name)</name>",
      "    <uuid>\(network.uuid(lab: lab))</uuid>",
      "    <forward mode='bridge'/>",
      "    <bridge name='\(network.bridge)'/>",
    ]
    if switchKind == .ovs { lines.append("    <virtualport type='openvswitch'/>") }
    lines.append("  </network>")
    if let port {
      lines += [
        "  <networkport>",
        "    <uuid>\(StableUUID.make(from: "\(port.uuid)/port/\(port.nic.mac)"))</uuid>",
        "    <owner>",
        "      <name>\(port.domain)</name>",
        "      <uuid>\(port.uuid)</uuid>",
        "    </owner>",
        "    <mac address='\(port.nic.mac)'/>",
      ]
      if switchKind == .ovs {
        lines += [
          "    <virtualport type='openvswitch'>",
          "      <parameters interfaceid='\(portID(uuid: port.uuid, nic: port.nic))'/>",
          "    </virtualport>",
        ]
      }
      lines += ["    <plug type='bridge' bridge='\(network.bridge)'/>", "  </networkport>"]
    }
    lines += ["</hookData>", ""]
    return lines.joined(separator: "\n")
  }
}
