/// `bridge-netfilter` (info): whether frames bridged between the ports of a guest bridge reach netfilter, and
/// what that means for forward filtering.
///
/// With br_netfilter loaded and `net.bridge.bridge-nf-call-iptables=1` (per network namespace) or the bridge's
/// own `nf_call_iptables`, the kernel passes IPv4 frames it bridges through the inet prerouting and forward
/// hooks with the bridge as input and output device (`br_nf_pre_routing`, `br_nf_forward_ip`); IPv6 frames
/// likewise with `bridge-nf-call-ip6tables` or `nf_call_ip6tables`, each family on its own switch. Every forward
/// chain then decides whether guests on one Linux bridge reach each other: routed-hook's accepts them
/// (`iifname B oifname B accept`), and its prerouting chain drops bridged frames from addresses no running guest
/// has. Without it (or on an Open vSwitch bridge) the bridge switches them and no filter ever sees them.
enum BridgeNetfilterCheck {
  static let id = "bridge-netfilter"

  /// One finding per guest bridge of the config, or per Linux bridge without one. Nothing for a snapshot that
  /// did not read the bridge-netfilter sysctls.
  static func findings(_ context: DoctorContext) -> [Finding] {
    let snapshot = context.snapshot
    guard let sysctls = snapshot.sysctls.bridgeNetfilter else { return [] }
    let ovs = Set((snapshot.ovs ?? []).map(\.name))
    let bridges =
      context.config == nil
      ? snapshot.links.filter { $0.kind == "bridge" }.map(\.name).sorted()
      : context.guestBridges.sorted()
    let ours =
      context.config != nil || snapshot.nftables.contains { $0.qualifiedName == OwnedTable.filter.rawValue }
    let drops = ForwardFilterCheck.forwardChains(snapshot).filter {
      $0.table.qualifiedName != OwnedTable.filter.rawValue && $0.chain.policy == "drop"
    }
    .map { "\($0.table.qualifiedName) \($0.chain.name)" }
    let legacyDrop = snapshot.iptablesForward?.policy.uppercased() == "DROP"
    let foreignDrops = drops + (legacyDrop ? ["iptables-legacy FORWARD"] : [])

    var findings: [Finding] = []
    for name in bridges {
      guard let link = snapshot.link(name) else { continue }
      var evidence = [
        "bridge": name,
        "net.bridge.bridge-nf-call-iptables": sysctls.loaded ? "\(sysctls.callIptables)" : "absent",
        "net.bridge.bridge-nf-call-ip6tables": sysctls.loaded ? "\(sysctls.callIp6tables)" : "absent",
      ]
      let isOVS = ovs.contains(name) || link.kind == "openvswitch"
      let isLinuxBridge = link.kind == "bridge"
      evidence["bridge_kind"] = isLinuxBridge ? "linux" : isOVS ? "ovs" : link.kind ?? "unknown"
      if isLinuxBridge {
        evidence["nf_call_iptables"] = link.nfCallIptables.map(String.init) ?? "unknown"
        evidence["nf_call_ip6tables"] = link.nfCallIp6tables.map(String.init) ?? "unknown"
      }
      // The kernel ORs the namespace's sysctl and the bridge's own option, per family.
      let causes =
        isLinuxBridge && sysctls.loaded
        ? [
          (family: "IPv4", namespace: sysctls.callIptables, bridge: link.nfCallIptables, option: "iptables"),
          (family: "IPv6", namespace: sysctls.callIp6tables, bridge: link.nfCallIp6tables, option: "ip6tables"),
        ]
        .filter { $0.namespace != 0 || $0.bridge ?? 0 != 0 }
        : []
      let on = !causes.isEmpty
      let bypass =
        "so its guests reach each other whatever the forward policy, and anti-spoofing sees only routed traffic"
      let summary: String
      var fix = "nothing to fix"
      if on {
        let cause = causes.map {
          $0.namespace != 0 ? "bridge-nf-call-\($0.option)=1" : "\(name) nf_call_\($0.option)=1"
        }
        .joined(separator: ", ")
        summary =
          "bridge netfilter is on for \(name) (\(cause)): frames between its ports pass the forward hook with "
          + "\(name) as input and output, so every forward chain must accept them for its guests to reach each other"
        if ours {
          evidence["routed_hook"] =
            "forward accepts iifname \"\(name)\" oifname \"\(name)\"; prerouting drops bridged "
            + "\(causes.map(\.family).joined(separator: " and ")) frames from addresses no running guest has"
        }
        evidence["foreign_forward_drops"] =
          foreignDrops.isEmpty ? "none" : foreignDrops.joined(separator: ", ")
        if !foreignDrops.isEmpty {
          fix = "accept iifname \"\(name)\" oifname \"\(name)\" in \(foreignDrops.joined(separator: ", "))"
        }
      } else if isOVS {
        summary =
          "\(name) is an Open vSwitch bridge: bridge netfilter does not apply, frames between its ports never "
          + "reach netfilter, \(bypass)"
      } else if !isLinuxBridge {
        continue
      } else if !sysctls.loaded {
        summary =
          "br_netfilter is not loaded: frames between the ports of \(name) never reach netfilter, \(bypass)"
      } else {
        summary =
          "bridge netfilter is off for \(name): frames between its ports never reach netfilter, \(bypass)"
      }
      findings.append(Finding(id: id, severity: .info, summary: summary, evidence: evidence, fix: fix))
    }
    return findings
  }
}
