/// The domain XML libvirt would hand the hook for a running guest, with its address in routed-hook metadata.
public enum DomainXML {
  /// `includeTarget` is false for `release`, where libvirt has already dropped `<target dev>`.
  public static func make(
    guest: Guest, lab: String, bridge: String, switchKind: SwitchKind, id: Int, includeTarget: Bool = true
  )
    -> String
  {
    let uuid = guest.uuid(lab: lab)
    var nic = [
      "    <interface type='bridge'>",
      "      <mac address='\(guest.mac)'/>",
      "      <source bridge='\(bridge)'/>",
    ]
    if switchKind == .ovs {
      nic += [
        "      <virtualport type='openvswitch'>",
        "        <parameters interfaceid='\(uuid)'/>",
        "      </virtualport>",
      ]
    }
    if includeTarget { nic.append("      <target dev='\(guest.tap)'/>") }
    nic += [
      "      <model type='virtio'/>",
      "      <mtu size='\(guest.mtu)'/>",
      "      <alias name='net0'/>",
      "    </interface>",
    ]
    let lines =
      [
        includeTarget ? "<domain type='kvm' id='\(id)'>" : "<domain type='kvm'>",
        "  <name>\(guest.name)</name>",
        "  <uuid>\(uuid)</uuid>",
        "  <metadata>",
        "    <rh:guest xmlns:rh=\"urn:routed-hook:1\">",
        "      <rh:interface mac=\"\(guest.mac)\" address=\"\(guest.address.address)\"/>",
        "    </rh:guest>",
        "  </metadata>",
        "  <memory unit='KiB'>524288</memory>",
        "  <vcpu placement='static'>1</vcpu>",
        "  <os>",
        "    <type arch='x86_64' machine='pc'>hvm</type>",
        "  </os>",
        "  <devices>",
      ] + nic + ["  </devices>", "</domain>", ""]
    return lines.joined(separator: "\n")
  }
}
