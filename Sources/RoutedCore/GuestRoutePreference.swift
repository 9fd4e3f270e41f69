/// How strongly a host claims a guest in BGP, carried from routed-hook to BIRD by the metric of the
/// guest's /32 (`krt_metric` in BIRD's filters), because routed-hook never talks to BIRD directly.
///
/// The live-migration handover (the idea of Calico's live-migration route priority): on the destination,
/// `started` runs while the guest is still paused and the source still runs it. The destination then
/// claims it as `arriving`: the fleet keeps sending to the source, and the destination itself keeps
/// routing to the source as well (its own route loses to the source's announcement inside BIRD, so BIRD
/// installs the source's route, which has the lower metric in the kernel). When libvirt reports the guest
/// resumed here (`VIR_DOMAIN_EVENT_RESUMED_MIGRATED`), the destination claims it as `moved`, which beats
/// the source's `normal` claim everywhere until the source's `stopped` withdraws it; after a bounded
/// time the claim settles to `normal`. Each change adds the new route before deleting the old one, in
/// that order, so BIRD never sees the guest without a route (BIRD prefers the lower metric of two).
///
/// On the source, `leaving` is the mirror of `arriving`: libvirt pauses the guest for the migration's last
/// phase (`VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED`) and the source stops answering ARP for it on the LAN and
/// lowers its claim, so that nobody answers between that pause and the destination's resume, instead of both
/// from the destination's resume to the source's `stopped`. A failed migration resumes the guest on the
/// source, which claims it `normal` again.
public enum GuestRoutePreference: String, Sendable, CaseIterable, Codable {
  case normal
  case arriving
  case moved
  case leaving

  /// The metric (RTA_PRIORITY) of the guest's /32.
  public var metric: UInt32 {
    switch self {
    case .normal: 0
    case .moved: 256
    case .arriving: 512
    case .leaving: 768
    }
  }

  /// `bgp_local_pref` of the announcement (BGP's default is 100; higher wins).
  public var localPreference: Int {
    switch self {
    case .normal: 100
    case .moved: 200
    case .arriving, .leaving: 50
    }
  }

  /// BIRD's route preference for the kernel-learned route on this host: above BGP's 100, so a guest that
  /// runs here beats a neighbour's announcement of it, except while it is only arriving.
  /// `leaving` is in BIRD's filters' arriving range (512 ≤ metric < 1024, `BirdConfig`) too: 90 and
  /// local_pref 50.
  public var birdPreference: Int { self == .arriving || self == .leaving ? 90 : 200 }

  /// Whether this host answers ARP (and NDP, with a proxy neighbour entry) for the guest on proxy-arp
  /// uplinks: not while the guest runs elsewhere, arriving here or leaving from here.
  public var answersOnUplinks: Bool { self == .normal || self == .moved }

  /// The metric an IPv6 route gets when added with 0 (IP6_RT_PRIO_USER): an IPv6 guest's `normal` claim
  /// reads back as this, and BIRD's filters take it as normal too.
  public static let kernelDefaultMetric6: UInt32 = 1024

  /// How long `moved` lasts before it settles to `normal` (Calico holds its raised priority about 30 s).
  public static let movedSeconds = 30
}
