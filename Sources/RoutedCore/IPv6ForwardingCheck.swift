/// `ipv6-forwarding-global`: `net.ipv6.conf.all.forwarding=1`, the only IPv6 forwarding switch before kernel
/// 6.17: every interface forwards, the admin's own included, and every interface ignores RAs with
/// `accept_ra=1`. A warning where the kernel has per-interface `force_forwarding` (routed-hook uses that and
/// never needs `all`); information where it does not (routed-hook had to set it; only forward filters keep
/// the other interfaces from routing to each other).
enum IPv6ForwardingCheck {
  static let id = "ipv6-forwarding-global"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard let ipv6 = context.snapshot.ipv6, let all = ipv6.sysctls["all"], all.forwarding != 0 else { return [] }
    let perInterface = all.forceForwarding != nil
    return [
      Finding(
        id: id, severity: perInterface ? .warning : .info,
        summary: perInterface
          ? "net.ipv6.conf.all.forwarding=1: every interface forwards IPv6, though this kernel can forward per interface (force_forwarding)"
          : "net.ipv6.conf.all.forwarding=1: every interface forwards IPv6 (this kernel has no per-interface switch); only forward filters keep interfaces other than the guests' from routing to each other",
        evidence: [
          "net.ipv6.conf.all.forwarding": "1", "force_forwarding": perInterface ? "available" : "not in this kernel",
        ],
        fix: perInterface
          ? "sysctl -w net.ipv6.conf.all.forwarding=0, and force_forwarding=1 on the interfaces that must forward (routed-hook host up does)"
          : "filter forwarding for the other interfaces (an inet forward chain), or run a kernel from 6.17 on")
    ]
  }
}
