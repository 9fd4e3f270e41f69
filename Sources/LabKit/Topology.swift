import RoutedCore

/// A whole lab as declared in a topology file: segments, KVM hosts with their guests, outside machines, tests.
public struct Topology: Sendable, Equatable {
  /// Short lab name; it prefixes every namespace (`rl-<lab>-<node>`) and ownership altname.
  public var lab: String
  /// Directory of the topology file, against which a host's hook config file path is resolved.
  public var baseDirectory: String = "."
  public var segments: [Segment] = []
  public var hosts: [Host] = []
  public var machines: [Machine] = []
  public var tests: [TestPhase] = []
  /// The paths `routed-lab bench` measures (the `bench:` section), if any.
  public var bench: BenchSpec?
  /// Every host's switch as `--switch` / `--bridge-netfilter` replaced it, if they did (recorded by `up`).
  public var switchOverride: SwitchOverride?

  /// All guests of all hosts, in topology order.
  public var guests: [Guest] { hosts.flatMap(\.guests) }

  /// Lookups by name; nil for unknown names.
  public func segment(named name: String) -> Segment? { segments.first { $0.name == name } }
  public func host(named name: String) -> Host? { hosts.first { $0.name == name } }
  public func guest(named name: String) -> Guest? { guests.first { $0.name == name } }
  public func machine(named name: String) -> Machine? { machines.first { $0.name == name } }

  /// Every namespace node (segment, host, guest, machine), in build order.
  public var nodeNames: [String] {
    segments.map(\.name) + hosts.map(\.name) + guests.map(\.name) + machines.map(\.name)
  }

  /// The nodes `up` makes a namespace for: all but real libvirt domains, which bring their own (an LXC
  /// container's is attached under the guest's name once it runs; a VM has none on the host).
  public var builtNodeNames: [String] {
    nodeNames.filter { guest(named: $0)?.domain == nil }
  }

  /// The interfaces a node carries on segments (hosts and machines; guests have only their NIC).
  public func attachments(of node: String) -> [Attachment] {
    host(named: node)?.interfaces ?? machine(named: node)?.interfaces ?? []
  }

  /// The address a node is reached at when named as a target: a guest's address, else its first interface's.
  public func primaryAddress(of node: String) -> IPv4Address? {
    if let guest = guest(named: node) { return guest.address.address }
    return attachments(of: node).compactMap(\.address).first?.address
  }

  /// The same for IPv6: a guest's `address6`, else the first `address6` of the node's interfaces.
  public func primaryAddress6(of node: String) -> IPv6Address? {
    if let guest = guest(named: node) { return guest.address6?.address }
    return attachments(of: node).compactMap(\.address6).first?.address
  }

  /// True when any node has an IPv6 address: IPv6 is then on in every namespace of the lab (off otherwise,
  /// so that its autoconfiguration chatter never touches an IPv4-only lab's path counters).
  public var usesIPv6: Bool {
    guests.contains { $0.address6 != nil }
      || (hosts.flatMap(\.interfaces) + machines.flatMap(\.interfaces)).contains { $0.address6 != nil }
  }
}

/// A shared layer-2 network (LAN, HiperSockets, intranet): a Linux bridge in its own namespace.
public struct Segment: Sendable, Equatable {
  public var name: String
  public var subnet: IPv4Network
  public var mtu: Int = 1500
  /// The talk's scenario this segment stands for (II, III, IV), shown in the graph.
  public var scenario: String?
  public var label: String?
  /// False for a layer-3 link (HiperSockets in layer-3 mode): every node end gets `arp off`, and the lab
  /// installs permanent neighbour entries for the other ends, as the device's firmware resolves them.
  public var arp: Bool = true

}

/// A node's interface on a segment: one veth whose other end is a port of the segment's bridge.
public struct Attachment: Sendable, Equatable {
  public var name: String
  public var segment: String
  public var address: IPv4Interface?
  /// An IPv6 address on the same link (added with `nodad`: the lab's own addresses are unique).
  public var address6: IPv6Interface?
  /// MTU of the node's end; nil means the segment's MTU.
  public var mtu: Int?
  /// MTU of the segment's end (the bridge port); nil means the segment's MTU.
  public var segmentMtu: Int?

}

/// A static route in a node: `to` nil is the default route; `via` nil is an on-link route.
public struct Route: Sendable, Equatable, CustomStringConvertible {
  public var to: IPv4Network?
  public var via: IPv4Address?
  public var device: String?

  public var description: String {
    var text = to.map(\.description) ?? "default"
    if let via { text += " via \(via)" }
    if let device { text += " dev \(device)" }
    return text
  }
}

/// Which software switch a KVM host's guests hang on.
public enum SwitchKind: String, Sendable, Equatable, CaseIterable {
  case ovs
  case linuxBridge = "linux-bridge"
}

/// The guests' switch in a KVM host; its internal port (same name as the bridge) is the guests' gateway.
public struct Switch: Sendable, Equatable {
  public var kind: SwitchKind = .ovs
  public var bridge: String = "br-ex"
  public var mtu: Int = 1500
  /// Linux bridge only: `net.bridge.bridge-nf-call-{iptables,ip6tables,arptables}` in the host's namespace,
  /// so bridged frames pass netfilter (true, as on Docker and Kubernetes hosts) or not (false). Nil leaves the
  /// kernel's default for a new namespace: on where br_netfilter is loaded or built in.
  public var bridgeNetfilter: Bool?

}

/// Where a host's routed-hook config comes from.
public enum HookConfigSource: Sendable, Equatable {
  /// YAML text written inline in the topology.
  case inline(String)
  /// A file path, relative to the topology file's directory.
  case file(String)
}

/// A KVM host (the talk's LPAR): a namespace with a switch, uplinks on segments, guests and a hook config.
public struct Host: Sendable, Equatable {
  public var name: String
  public var label: String?
  public var switchConfig: Switch = Switch()
  public var interfaces: [Attachment] = []
  public var routes: [Route] = []
  public var hook: HookConfigSource?
  public var guests: [Guest] = []
  /// Shell commands run inside the host's namespace once the guests are up: a broken state built by hand,
  /// bypassing routed-hook, as the talk's admin would (the pitfall topologies).
  public var setup: [String] = []
  /// A routed-hook config the host does not run (no hook calls): the intent of a host built by hand, for
  /// `doctor --config` and `refused` rows.
  public var intent: HookConfigSource?
  /// The hook config's guest networks that are libvirt networks: `up` runs the network hook for them and
  /// every guest NIC on them gets `port-created` / `port-deleted`.
  public var libvirtNetworks: [LibvirtNetwork] = []
  /// True when a real libvirtd runs in the host's namespace and the guests are its domains (LXC or QEMU):
  /// libvirtd, not the lab, then calls routed-hook.
  public var libvirt: Bool = false
  /// Set when the hook config has a `bgp:` section: the lab runs BIRD here, configured by routed-hook.
  public var bgp: HostBGP?
  /// True when the lab runs `routed-hook watch` in the host's namespace from `up` to `down`.
  public var watch: Bool = false

  /// The config routed-hook's tools are run with on this host: the hook config, else the intent.
  public var config: HookConfigSource? { hook ?? intent }

  /// The libvirt network a bridge belongs to on this host, if any.
  public func libvirtNetwork(bridge: String) -> LibvirtNetwork? {
    libvirtNetworks.first { $0.bridge == bridge }
  }
}

/// A libvirt network of `forward mode='bridge'` over the host's OVS bridge (`libvirtNetwork:` in the hook config).
public struct LibvirtNetwork: Sendable, Equatable {
  public var name: String
  public var bridge: String

  /// Stable per lab, as libvirt keeps a network's UUID.
  public func uuid(lab: String) -> String { StableUUID.make(from: "\(lab)/network/\(name)") }
}

/// What a guest on a `libvirt: true` host is to libvirtd.
public enum DomainKind: String, Sendable, Equatable, CaseIterable {
  /// A container sharing the host's file system; its network namespace is the guest's namespace.
  case lxc
  /// A QEMU (TCG) virtual machine booting a Debian kernel and the lab's busybox initramfs.
  case qemu
}

/// How a real domain's NIC reaches the host's switch.
public enum NICAttachment: String, Sendable, Equatable, CaseIterable {
  /// `<interface type='bridge'>` with `<virtualport type='openvswitch'/>`: only the qemu/lxc hook sees it.
  case bridge
  /// `<interface type='network'>` of the host's libvirt network: the network hook gets port events too.
  case network
}

/// A guest (a libvirt domain) as a namespace whose one NIC is a port on its host's switch.
public struct Guest: Sendable, Equatable {
  public var name: String
  public var host: String
  /// The guest's address with its own netmask (the talk uses /8 inside the guest).
  public var address: IPv4Interface
  /// The guest's IPv6 address (a /128 in routed-hook's addressing), configured with DAD as a guest OS does.
  public var address6: IPv6Interface?
  public var mac: LabMAC
  public var gateway: IPv4Address?
  /// The IPv6 default router, usually the link-local `fe80::1` every host's guest bridge carries.
  public var gateway6: IPv6Address?
  public var routes: [Route]
  /// MTU of the guest's NIC.
  public var mtu: Int
  /// MTU of the switch port (the tap, `vnetN`); nil means the guest's MTU.
  public var portMtu: Int?
  /// False for a guest that is defined but not running after `up`.
  public var autostart: Bool
  /// The tap name libvirt would pick, `vnet<N>` by position in its host.
  public var tap: String
  /// Shell commands run inside the guest's namespace once it is up (a tuning of the guest OS).
  public var setup: [String] = []
  /// On a `libvirt: true` host: the kind of domain libvirtd runs (nil elsewhere: the lab plays libvirt).
  public var domain: DomainKind?
  /// On a `libvirt: true` host: how the domain's NIC is attached.
  public var attachment: NICAttachment = .bridge
  /// For a QEMU domain: a command (its program relative to the topology file, arguments after spaces) that
  /// prints the kernel's and the initramfs' paths, building and caching them on first use.
  public var image: String?

  public init(
    name: String, host: String, address: IPv4Interface, mac: LabMAC? = nil, gateway: IPv4Address? = nil,
    routes: [Route] = [], mtu: Int = 1500, portMtu: Int? = nil, autostart: Bool = true, tap: String = "vnet0"
  ) {
    self.name = name
    self.host = host
    self.address = address
    self.mac = mac ?? LabMAC.derived(from: address.address)
    self.gateway = gateway
    self.routes = routes
    self.mtu = mtu
    self.portMtu = portMtu
    self.autostart = autostart
    self.tap = tap
  }

  /// The domain UUID, stable per lab and guest name so repeated runs produce the same XML.
  public func uuid(lab: String) -> String { StableUUID.make(from: "\(lab)/\(name)") }
}

/// An outside machine (production host, update server, router): a namespace with interfaces on segments.
public struct Machine: Sendable, Equatable {
  public var name: String
  public var label: String?
  public var interfaces: [Attachment] = []
  public var routes: [Route] = []
  /// Shell commands run inside the machine's namespace once the lab is built.
  public var setup: [String] = []

}
