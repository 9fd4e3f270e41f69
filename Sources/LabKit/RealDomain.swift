/// The definitions a real libvirtd gets for a `libvirt: true` host: LXC and QEMU domains, the libvirt network,
/// a container's init script and a VM's kernel command line. Pure text; `LibvirtGuests` feeds it to virsh.
struct RealDomain {
  let guest: Guest
  let host: Host
  let lab: String
  let names: LabNames
  /// Kernel and initramfs of a QEMU guest.
  var image: (kernel: String, initrd: String)?

  /// The domain's XML for `virsh define`.
  var xml: String {
    var lines = [
      "<domain type='\(guest.domain == .qemu ? "qemu" : "lxc")'>",
      "  <name>\(guest.name)</name>",
      "  <uuid>\(guest.uuid(lab: lab))</uuid>",
      "  <metadata>",
      "    <rh:guest xmlns:rh=\"urn:routed-hook:1\">",
      "      <rh:interface mac=\"\(guest.mac)\" address=\"\(guest.address.address)\""
        + (guest.address6.map { " address6=\"\($0.address)\"" } ?? "") + "/>",
      "    </rh:guest>",
      "  </metadata>",
    ]
    if guest.domain == .qemu, let image {
      lines += [
        "  <memory unit='MiB'>256</memory>",
        "  <vcpu>1</vcpu>",
        "  <os>",
        "    <type arch='x86_64' machine='pc'>hvm</type>",
        "    <kernel>\(image.kernel)</kernel>",
        "    <initrd>\(image.initrd)</initrd>",
        "    <cmdline>\(kernelCommandLine)</cmdline>",
        "  </os>",
        "  <on_poweroff>destroy</on_poweroff>",
        "  <devices>",
        "    <serial type='unix'>",
        "      <source mode='bind' path='\(names.serialSocket(host.name, guest.name))'/>",
        "      <target port='0'/>",
        "    </serial>",
        "    <memballoon model='none'/>",
      ]
    } else {
      lines += [
        "  <memory unit='MiB'>64</memory>",
        "  <os>",
        "    <type>exe</type>",
        "    <init>\(names.guestInit(host.name, guest.name))</init>",
        "  </os>",
        "  <devices>",
        "    <console type='pty'/>",
      ]
    }
    lines += interfaceXML(mac: guest.mac) + ["  </devices>", "</domain>", ""]
    return lines.joined(separator: "\n")
  }

  /// One NIC on the host's OVS: straight on the bridge through a virtualport, or a port of the libvirt network.
  func interfaceXML(mac: LabMAC) -> [String] {
    var lines: [String]
    if guest.attachment == .network, let network = host.libvirtNetwork(bridge: host.switchConfig.bridge) {
      lines = ["    <interface type='network'>", "      <source network='\(network.name)'/>"]
    } else {
      lines = [
        "    <interface type='bridge'>",
        "      <source bridge='\(host.switchConfig.bridge)'/>",
        "      <virtualport type='openvswitch'/>",
      ]
    }
    lines.insert("      <mac address='\(mac)'/>", at: 1)
    lines.append("      <mtu size='\(guest.mtu)'/>")
    if guest.domain == .qemu {
      // The userspace OVS datapath drops the oversized GSO frames an offloading virtio NIC would hand it.
      lines += [
        "      <model type='virtio'/>",
        "      <driver name='qemu'>",
        "        <host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off'/>",
        "        <guest csum='off' tso4='off' tso6='off' ecn='off' ufo='off'/>",
        "      </driver>",
      ]
    }
    lines.append("    </interface>")
    return lines
  }

  /// What the lab's initramfs reads to configure the VM's NIC, as the LXC init script does for a container.
  var kernelCommandLine: String {
    var words = ["console=ttyS0", "quiet", "rh.address=\(guest.address)"]
    if let gateway = guest.gateway { words.append("rh.gateway=\(gateway)") }
    return words.joined(separator: " ")
  }

  /// A container's first process: the guest OS's own network setup, then waiting until told to stop.
  var initScript: String {
    var lines = [
      "#!/bin/sh",
      "# routed-lab guest \(guest.name) (libvirt LXC domain of \(host.name)): the guest's own network setup.",
      "ip link set lo up",
      // The userspace OVS datapath drops the GSO frames a veth with tx offloads hands it ("Too big").
      "ethtool -K eth0 tx off >/dev/null 2>&1",
      "ip link set eth0 mtu \(guest.mtu)",
      "ip address add \(guest.address) dev eth0",
      "ip link set eth0 up",
    ]
    if let gateway = guest.gateway { lines.append("ip route add default via \(gateway) dev eth0 onlink") }
    for route in guest.routes {
      var line = "ip route add \(route.to.map(\.description) ?? "default")"
      if let via = route.via { line += " via \(via)" }
      line += " dev \(route.device ?? "eth0")"
      lines.append(line)
    }
    // PID 1 of a PID namespace gets only the signals it handles: `virsh shutdown` sends SIGTERM.
    lines += [
      "trap 'exit 0' TERM",
      "while :; do sleep 3600 & wait $!; done",
      "",
    ]
    return lines.joined(separator: "\n")
  }

  /// The libvirt network of `forward mode='bridge'` over the host's OVS bridge.
  static func networkXML(_ network: LibvirtNetwork, lab: String) -> String {
    """
    <network>
      <name>\(network.name)</name>
      <uuid>\(network.uuid(lab: lab))</uuid>
      <forward mode='bridge'/>
      <bridge name='\(network.bridge)'/>
      <virtualport type='openvswitch'/>
    </network>

    """
  }
}
