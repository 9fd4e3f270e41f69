/// `dad-failed` (critical): an IPv6 address failed duplicate address detection. The kernel keeps it but never
/// uses it: another node on the link has the address, or answers for it (a proxy entry there does, DAD probes
/// included).
enum DADFailedCheck {
  static let id = "dad-failed"

  static func findings(_ context: DoctorContext) -> [Finding] {
    guard let ipv6 = context.snapshot.ipv6 else { return [] }
    return ipv6.addresses.filter { $0.flags.contains("dadfailed") }
      .sorted { ($0.interface, $0.address.address) < ($1.interface, $1.address.address) }
      .map { address in
        Finding(
          id: id, severity: .critical,
          summary:
            "\(address.address.address) on \(address.interface) failed duplicate address detection: another node on the link has it or answers for it",
          evidence: ["address": "\(address.address.address)", "prefix_length": "\(address.address.prefixLength)", "interface": address.interface],
          fix:
            "find who answers for \(address.address.address) on that link (a proxy entry: ip -6 neigh show proxy), remove it, then ip -6 address del \(address.address) dev \(address.interface) and add it again")
      }
  }
}
