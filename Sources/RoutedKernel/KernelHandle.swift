import CNetlink
import Glibc
import RoutedCore

/// The kernel of one network namespace, as routed-hook reaches it: an rtnetlink socket, an nfnetlink socket
/// (libnftnl) opened on first use, and /proc/sys for sysctls. It reads a typed `KernelView` for a query
/// (`read`) and performs the steps the core decided (`execute`); it decides nothing. No child processes.
public struct KernelHandle {
  let files: any KernelFiles
  let rtnetlink: Rtnetlink
  let nftables: Nftables
  /// The sockets opened here (none over recording connections), for `closeSocketsAtExit`.
  private let route: MNLConnection?
  private let filter: DeferredConnection?

  /// Opens an rtnetlink socket, in the given network namespace (a name under /run/netns or a path) or the
  /// current one; nfnetlink opens there on first use.
  public init(networkNamespace: String? = nil) throws {
    let namespace = networkNamespace.map(NetworkNamespace.init)
    func inNamespace<R>(_ body: () throws -> R) throws -> R {
      try namespace.map { try $0.run(body) } ?? body()
    }
    let route = try inNamespace { try MNLConnection(bus: NETLINK_ROUTE, name: "rtnetlink") }
    let filter = DeferredConnection {
      try inNamespace { try MNLConnection(bus: NETLINK_NETFILTER, name: "nfnetlink") }
    }
    files = NamespaceFiles(namespace: namespace)
    self.rtnetlink = Rtnetlink(channel: NetlinkChannel(connection: route))
    self.nftables = Nftables(channel: NetlinkChannel(connection: filter))
    self.route = route
    self.filter = filter
  }

  /// A handle over given connections and files (recording or scripted ones in tests); `firstSequence`
  /// fixes the sequence numbers, which otherwise start at the time.
  init(
    files: any KernelFiles, rtnetlink: any NetlinkConnection, nfnetlink: any NetlinkConnection,
    firstSequence: UInt32 = UInt32(truncatingIfNeeded: time(nil))
  ) {
    self.files = files
    self.rtnetlink = Rtnetlink(channel: NetlinkChannel(connection: rtnetlink, firstSequence: firstSequence))
    self.nftables = Nftables(channel: NetlinkChannel(connection: nfnetlink, firstSequence: firstSequence))
    route = nil
    filter = nil
  }

  /// Leaves the sockets open for the process's exit to close, for a process that exits right after this
  /// call. Closing an nfnetlink socket waits for nf_tables to free what a deleting transaction removed (an
  /// RCU grace period, 10–17 ms here); left to exit, that wait overlaps everything the process does after
  /// its commit: routes, records, the audit line and the process's own teardown.
  public func closeSocketsAtExit() {
    route?.closesOnDeinit = false
    filter?.closesOnDeinit = false
  }

  /// IPv4 addresses per interface: every interface that has one, plus each of `interfaces` that exists
  /// (with an empty list when it has none). One address dump and a lookup per named interface, so the
  /// cost does not grow with the guests' taps, which have no IPv4 address.
  ///
  /// With `ipv6Uplinks` (the uplinks IPv6 guest networks use), also whether the kernel has IPv6
  /// `force_forwarding` and each of those uplinks' `accept_ra`, in the same visit to /proc/sys.
  public func readHostFacts(interfaces: [String], ipv6Uplinks: [String] = []) throws -> HostFacts {
    rtnetlink.resetCache()
    var facts = HostFacts()
    for name in try files.existing(interfaces) { facts.addresses[name] = [] }
    for address in try rtnetlink.addresses() {
      guard let v4 = address.address.v4 else { continue }
      // IFA_LABEL names the interface, except for alias labels (`eth0:1`), which need a lookup.
      let label = address.label.flatMap { $0.contains(":") ? nil : $0 }
      guard let name = try label ?? rtnetlink.linkName(index: address.index) else { continue }
      facts.addresses[name, default: []].append(v4)
    }
    if !ipv6Uplinks.isEmpty {
      let settings =
        [InterfaceSysctl(interface: "all", key: .forceForwarding6, value: 0)]
        + ipv6Uplinks.map { InterfaceSysctl(interface: $0, key: .acceptRA, value: 0) }
      let values = try files.read(settings)
      facts.forceForwarding6 = values[0] != nil
      for (name, value) in zip(ipv6Uplinks, values.dropFirst()) {
        if let value { facts.acceptRA[name] = value }
      }
    }
    return facts
  }

  /// Sends each gratuitous ARP and neighbour advertisement in this handle's namespace; one line per announcement that failed (a missing
  /// interface must not stop the others).
  public func announce(_ announcements: [Handover.Announcement]) -> [String] {
    announcements.compactMap { announcement in
      do {
        try files.announce(announcement)
        return nil
      } catch {
        return "\(error)"
      }
    }
  }
}
