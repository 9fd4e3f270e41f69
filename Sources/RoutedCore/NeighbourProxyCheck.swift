/// IPv6 proxy neighbour entries, which `proxy_ndp` answers (and nothing else):
/// - `proxy-entry-on-guest-bridge` (critical): an entry on a guest bridge answers the guests' own DAD probes
///   for that address; the guest that has it never gets it (`dadfailed`).
/// - `proxy-entry-stale` (critical): an entry of routed-hook's (its `routeProtocol`) for an address no running
///   guest here has, or on an uplink its NIC may not use: the LAN sends that guest's traffic here.
/// - `proxy-ndp-unused` (warning): `proxy_ndp` on where there is no entry to answer for: nothing breaks yet, but
///   the next entry anyone adds there is answered, DAD probes included.
enum NeighbourProxyCheck {
  static let onBridgeID = "proxy-entry-on-guest-bridge"
  static let staleID = "proxy-entry-stale"
  static let unusedID = "proxy-ndp-unused"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard let ipv6 = context.snapshot.ipv6 else { return [] }
    var findings: [Finding] = []
    let bridges = context.guestBridges.union(
      context.snapshot.links.filter { $0.kind == "bridge" || $0.kind == "openvswitch" }.map(\.name))
    for entry in ipv6.proxyEntries.sorted(by: { ($0.device, $0.address) < ($1.device, $1.address) })
    where bridges.contains(entry.device) {
      findings.append(
        Finding(
          id: onBridgeID, severity: .critical,
          summary:
            "proxy entry for \(entry.address) on guest bridge \(entry.device): it answers the DAD probe of the guest "
            + "with that address, which then never gets it",
          evidence: [
            "address": "\(entry.address)", "interface": entry.device, "protocol": entry.routeProtocol ?? "none",
            "net.ipv6.conf.\(entry.device).proxy_ndp": "\(ipv6.sysctls[entry.device]?.proxyNDP ?? 0)",
          ],
          fix: "ip -6 neigh del proxy \(entry.address) dev \(entry.device)"))
    }

    let ours = ipv6.proxyEntries.filter { $0.routeProtocol == context.routeProtocol && !bridges.contains($0.device) }
    for entry in ours.sorted(by: { ($0.device, $0.address) < ($1.device, $1.address) }) {
      let owner = context.snapshot.records.first { record in
        record.interfaces.contains { $0.address6 == entry.address }
      }
      let nic = owner?.interfaces.first { $0.address6 == entry.address }
      let allowed = nic.map { nic in
        nic.uplinks.compactMap { context.config?.uplink(named: $0)?.interface }.contains(entry.device)
      }
      guard owner == nil || allowed == false else { continue }
      let why = owner == nil ? "no guest running here has that address" : "its NIC may not use \(entry.device)"
      findings.append(
        Finding(
          id: staleID, severity: .critical,
          summary: "\(entry.device) answers neighbour solicitations for \(entry.address), but \(why): the LAN sends that traffic here",
          evidence: [
            "address": "\(entry.address)", "interface": entry.device, "protocol": entry.routeProtocol ?? "none",
            "domain": owner?.name ?? "none",
          ],
          fix: "routed-hook reconcile, or ip -6 neigh del proxy \(entry.address) dev \(entry.device)"))
    }

    let withEntries = Set(ipv6.proxyEntries.map(\.device))
    for link in context.snapshot.links.sorted(by: { $0.name < $1.name })
    where !link.flags.contains("LOOPBACK") && ipv6.proxyNDP(link.name) && !withEntries.contains(link.name) {
      let own = ipv6.sysctls[link.name]?.proxyNDP ?? 0
      findings.append(
        Finding(
          id: unusedID, severity: .warning,
          summary: "\(link.name) has proxy_ndp on and no proxy entry to answer for",
          evidence: [
            "interface": link.name, "net.ipv6.conf.\(link.name).proxy_ndp": "\(own)",
            "net.ipv6.conf.all.proxy_ndp": "\(ipv6.sysctls["all"]?.proxyNDP ?? 0)",
          ],
          fix: own != 0
            ? "sysctl -w net.ipv6.conf.\(link.name).proxy_ndp=0" : "sysctl -w net.ipv6.conf.all.proxy_ndp=0"))
    }
    return findings
  }
}
