/// `forwarding-unmanaged` and `proxy-arp-unmanaged` (warning): forwarding or proxy_arp on interfaces the
/// config does not give routed-hook. The talk: "use that parameter very restrictive". Needs a config to know
/// what is managed; without one, `proxy-arp-unfiltered` and `forward-unfiltered` cover the same ground.
enum ScopeCheck {
  static let forwardingID = "forwarding-unmanaged"
  static let proxyARPID = "proxy-arp-unmanaged"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard context.config != nil else { return [] }
    let sysctls = context.snapshot.sysctls
    let links = context.snapshot.links.filter { !$0.flags.contains("LOOPBACK") }.sorted { $0.name < $1.name }
    var findings: [Finding] = []
    let managedForwarding = context.managedForwarding.sorted().joined(separator: ", ")
    for link in links where sysctls.forwarding(link.name) && !context.managedForwarding.contains(link.name) {
      findings.append(
        Finding(
          id: forwardingID, severity: .warning,
          summary: "\(link.name) forwards IPv4 but routed-hook does not manage it",
          evidence: [
            "interface": link.name, "net.ipv4.conf.\(link.name).forwarding": "1",
            "net.ipv4.ip_forward": "\(sysctls.ipForward)",
            "managed_interfaces": managedForwarding.isEmpty ? "none" : managedForwarding,
          ],
          fix:
            "sysctl -w net.ipv4.conf.\(link.name).forwarding=0, or make \(link.name) an uplink in the config")
      )
    }
    let managedProxy = context.managedProxyARP.sorted().joined(separator: ", ")
    for link in context.proxyingLinks where !context.managedProxyARP.contains(link.name) {
      findings.append(
        Finding(
          id: proxyARPID, severity: .warning,
          summary: "\(link.name) proxies ARP but routed-hook does not manage it",
          evidence: context.proxyARPEvidence(link.name).adding([
            "interface": link.name, "managed_interfaces": managedProxy.isEmpty ? "none" : managedProxy,
          ]),
          fix:
            "sysctl -w \(context.proxyARPSwitch(link.name)), or make \(link.name) a proxy-arp uplink in the config"
        ))
    }
    return findings
  }
}
