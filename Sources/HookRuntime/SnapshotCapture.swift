#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// Reads the live host into a `HostSnapshot` for `routed-hook doctor`.
///
/// Doctor is not on the hook's hot path, so it runs the tools that already print JSON (`ip -j`, `nft -j`,
/// `ovs-vsctl --format=json`) and legacy `arptables`/`iptables` when their tables are loaded. The hook's
/// `prepare` must not start processes; it reads its smaller snapshot through netlink (`KernelHandle`).
public struct SnapshotCapture {
  public var settings: Settings
  /// The OVS database (`unix:PATH`); nil tries the system's default socket.
  public var ovsDatabase: String?
  public var routeProtocol: UInt8

  public init(settings: Settings, ovsDatabase: String?, routeProtocol: UInt8) {
    self.settings = settings
    self.ovsDatabase = ovsDatabase
    self.routeProtocol = routeProtocol
  }

  /// The default OVS database socket of a system-wide Open vSwitch.
  static let defaultOVSSocket = "/var/run/openvswitch/db.sock"

  public func capture() throws -> HostSnapshot {
    guard let linkText = ChildProcess.output(["ip", "-j", "-d", "link", "show"]),
      let addressText = ChildProcess.output(["ip", "-j", "-4", "address", "show"]),
      let routeText = ChildProcess.output(["ip", "-N", "-j", "-4", "route", "show", "table", "main"])
    else { throw SystemError("cannot run `ip -j` (iproute2 is needed to read the host)") }
    let links = SnapshotParser.links(linkText, addresses: addressText)
    var snapshot = HostSnapshot(
      links: links, routes: SnapshotParser.routes(routeText), sysctls: sysctls(links.map(\.name)))
    // No nft at all means no nft rules; an nft that fails (not root) must not pass for "no ARP filter".
    if let nft = ChildProcess.run(["nft", "-j", "list", "ruleset"]) {
      guard nft.status == 0 else {
        throw SystemError("`nft -j list ruleset` failed (doctor needs root to read the firewall)")
      }
      snapshot.nftables = SnapshotParser.nftables(nft.stdout)
    }
    if loadedTables("/proc/net/arp_tables_names").contains("filter"),
      let text = ChildProcess.output(["arptables-legacy", "-L", "INPUT", "-n"])
    {
      snapshot.arptables = SnapshotParser.arptables(text)
    }
    if loadedTables("/proc/net/ip_tables_names").contains("filter"),
      let text = ChildProcess.output(["iptables-legacy", "-S", "FORWARD"])
    {
      snapshot.iptablesForward = SnapshotParser.iptablesChain(text)
    }
    snapshot.ovs = ovs()
    snapshot.ipv6 = ipv6(links.map(\.name))
    if let status = try? GuestRouting(settings: settings).status(routeProtocol: routeProtocol) {
      snapshot.records = status.domains
      snapshot.orphans = status.orphans
    }
    return snapshot
  }

  /// forwarding and proxy_arp per interface and for `all`, ip_forward, and bridge netfilter, from /proc/sys.
  func sysctls(_ names: [String]) -> HostSnapshot.Sysctls {
    func value(_ path: String) -> Int? {
      guard case .contents(let bytes)? = try? Files.read("/proc/sys/net/\(path)", limit: 64) else {
        return nil
      }
      return Int(String(decoding: bytes, as: UTF8.self).split(separator: "\n").first ?? "")
    }
    func read(_ path: String) -> Int { value("ipv4/\(path)") ?? 0 }
    let iptables = value("bridge/bridge-nf-call-iptables")
    func settings(_ name: String) -> HostSnapshot.InterfaceSettings {
      HostSnapshot.InterfaceSettings(
        forwarding: read("conf/\(name)/forwarding"), proxyARP: read("conf/\(name)/proxy_arp"))
    }
    return HostSnapshot.Sysctls(
      ipForward: read("ip_forward"), all: settings("all"),
      interfaces: Dictionary(names.map { ($0, settings($0)) }, uniquingKeysWith: { a, _ in a }),
      bridgeNetfilter: HostSnapshot.BridgeNetfilter(
        loaded: iptables != nil, callIptables: iptables ?? 0,
        callIp6tables: value("bridge/bridge-nf-call-ip6tables") ?? 0))
  }

  /// IPv6 addresses, sysctls, proxy entries and default routes; nil when IPv6 is off (no /proc/sys/net/ipv6).
  func ipv6(_ names: [String]) -> HostSnapshot.IPv6State? {
    guard access("/proc/sys/net/ipv6/conf/all", F_OK) == 0,
      let addresses = ChildProcess.output(["ip", "-j", "-6", "address", "show"]),
      let proxies = ChildProcess.output(["ip", "-N", "-j", "-6", "neigh", "show", "proxy"]),
      let routes = ChildProcess.output(["ip", "-N", "-j", "-6", "route", "show", "default"])
    else { return nil }
    func read(_ path: String) -> Int? {
      guard case .contents(let bytes)? = try? Files.read("/proc/sys/net/ipv6/\(path)", limit: 64) else {
        return nil
      }
      return Int(String(decoding: bytes, as: UTF8.self).split(separator: "\n").first ?? "")
    }
    var sysctls: [String: HostSnapshot.IPv6State.Settings] = [:]
    for name in ["all"] + names {
      guard let forwarding = read("conf/\(name)/forwarding") else { continue }
      sysctls[name] = .init(
        forwarding: forwarding, forceForwarding: read("conf/\(name)/force_forwarding"),
        proxyNDP: read("conf/\(name)/proxy_ndp") ?? 0, acceptRA: read("conf/\(name)/accept_ra") ?? 1)
    }
    return HostSnapshot.IPv6State(
      addresses: SnapshotParser.addresses6(addresses), sysctls: sysctls,
      proxyEntries: SnapshotParser.proxyEntries(proxies), defaultRoutes: SnapshotParser.defaultRoutes6(routes))
  }

  /// The names in a `/proc/net/*_tables_names` file: a legacy table is loaded only after first use, and
  /// running the legacy tool otherwise would load its module just to look.
  func loadedTables(_ path: String) -> [String] {
    guard case .contents(let bytes)? = try? Files.read(path, limit: 4096) else { return [] }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  /// OVS bridges and their interfaces, or nil when no OVS database answers.
  func ovs() -> [HostSnapshot.OVSBridge]? {
    let database: String
    if let ovsDatabase {
      database = ovsDatabase
    } else {
      guard access(Self.defaultOVSSocket, F_OK) == 0 else { return nil }
      database = "unix:\(Self.defaultOVSSocket)"
    }
    func list(_ table: String, _ columns: String) -> String? {
      ChildProcess.output([
        "ovs-vsctl", "--db=\(database)", "--timeout=5", "--format=json", "--columns=\(columns)", "list",
        table,
      ])
    }
    guard let bridges = list("Bridge", "name,ports"), let ports = list("Port", "_uuid,interfaces"),
      let interfaces = list("Interface", "_uuid,name,type,mtu,mtu_request")
    else {
      printError("cannot read the OVS database \(database): OVS bridges are not checked")
      return nil
    }
    return SnapshotParser.ovs(bridges: bridges, ports: ports, interfaces: interfaces)
  }
}
