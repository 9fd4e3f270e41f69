/// The decisions of a live migration's handover on this host: which claim a start makes, when a claim
/// changes, the plan that changes it, and the gratuitous ARP that follows. The claims themselves and what
/// BIRD makes of them are `GuestRoutePreference`'s.
///
/// On the destination, libvirt runs `migrate begin` (noted in a marker), then `prepare`, `start` and
/// `started` while the source still runs the guest: `started` claims it `arriving`. When the guest resumes
/// here (libvirt's `RESUMED_MIGRATED`, seen by `routed-hook watch`; or `reconcile` finding it running; or
/// `routed-hook arrived` by hand) the claim becomes `moved`, and some time later `normal`. On the source,
/// the pause for the switchover makes the claim `leaving` until the guest stops (or resumes there after a
/// failed migration: `normal` again).
public enum Handover {
  /// A claim and when it was made (CLOCK_BOOTTIME seconds; 0 for `normal`).
  public struct Claim: Sendable, Equatable {
    public var preference: GuestRoutePreference
    public var since: Int

    public init(_ preference: GuestRoutePreference, since: Int) {
      self.preference = preference
      self.since = preference == .normal ? 0 : since
    }

    /// The claim a record holds; `normal` without a record.
    public init(_ record: DomainRecord?) {
      self.init(record?.preference ?? .normal, since: record?.since ?? 0)
    }

    public static let normal = Claim(.normal, since: 0)
  }

  /// How old an incoming-migration marker may be at `started`. libvirt runs `migrate` and `started` on the
  /// destination in one prepare phase, seconds apart. An older marker is left by a migration that failed
  /// before `prepare` (libvirt then runs no stop hook here), and a later plain start must not wait for a
  /// resume that never comes.
  public static let markerSeconds = 120

  /// The claim a call installs: only `started` (`apply`) claims, consuming the migration marker through
  /// `marker`; a reapply keeps the record's claim (nil), and leaves the marker alone.
  public static func startClaim(for action: HookAction, marker: () -> Int?, now: Int) -> Claim? {
    guard action == .apply else { return nil }
    return startClaim(markedAt: marker(), now: now)
  }

  /// The claim of `started`: `arriving` when `migrate begin` left its marker at `markedAt` less than
  /// `markerSeconds` ago, else `normal`.
  public static func startClaim(markedAt: Int?, now: Int) -> Claim {
    // A negative second is no boot-clock time, and `now - Int.min` would trap.
    guard let markedAt, markedAt >= 0, now >= markedAt, now - markedAt < markerSeconds else { return .normal }
    return Claim(.arriving, since: now)
  }

  /// What a record's claim should become now, nil when it stays. `running` is whether libvirt reports the
  /// domain running rather than paused; nil when libvirt was not asked: an arrival is never finished on a
  /// guess, since the source may still run the guest, and a leaving guest is not answered for again on a
  /// guess either, since the destination may run it already.
  public static func next(
    _ record: DomainRecord, running: Bool?, now: Int, movedSeconds: Int = GuestRoutePreference.movedSeconds
  ) -> GuestRoutePreference? {
    switch record.preference {
    case .arriving: running == true ? .moved : nil
    case .moved: now - record.since >= movedSeconds ? .normal : nil
    case .leaving: running == true ? .normal : nil
    case .normal: nil
    }
  }

  /// What libvirt reported about a domain, as far as a migration's handover cares (libvirt's lifecycle events;
  /// `routed-hook watch` maps them, `routed-hook leaving` and `arrived` stand in for them by hand).
  public enum MigrationEvent: String, Sendable, CaseIterable {
    /// `SUSPENDED_MIGRATED`: on the source, libvirt paused the guest for the migration's last phase (QEMU
    /// sends what is left; next the destination resumes it). Also the whole of an offline migration.
    case pausedForMigration
    /// Any `RESUMED`: the guest runs here now. On the destination `RESUMED_MIGRATED` (or `_POSTCOPY`) ends
    /// the migration; on the source, libvirt 9.0 resumes a guest whose migration failed or was cancelled with
    /// reason `migration-canceled`, which it reports as `RESUMED_MIGRATED` too
    /// (`qemuMigrationSrcRestoreDomainState`, `qemuDomainRunningReasonToResumeEvent`); an admin's `virsh
    /// resume` of a guest left paused is `RESUMED_UNPAUSED`. The record's claim tells them apart.
    case resumed
    /// `STOPPED_MIGRATED`: on the source, the guest left.
    case stoppedAfterMigration
  }

  /// What the handover does on a host for an event, from the claim of the domain's record there (nil: no
  /// record, not routed here).
  public enum Step: String, Sendable, Equatable {
    /// arriving → moved: the answer on proxy-arp uplinks goes live, the claim beats the source's, then
    /// gratuitous ARP.
    case finishArrival
    /// normal or moved → leaving: the answer on proxy-arp uplinks goes, the claim drops below any other.
    case withdraw
    /// leaving → normal: the migration failed and the guest runs here again; answered, then gratuitous ARP.
    case restore
    /// The record and its objects go (a no-op when `stopped` did it already).
    case remove
  }

  /// The step for `event` on a host whose record of the domain claims `claim`; nil: nothing to do.
  public static func step(for event: MigrationEvent, claim: GuestRoutePreference?) -> Step? {
    guard let claim else { return nil }
    switch (event, claim) {
    case (.pausedForMigration, .normal), (.pausedForMigration, .moved): return .withdraw
    case (.pausedForMigration, .arriving), (.pausedForMigration, .leaving): return nil
    case (.resumed, .arriving): return .finishArrival
    case (.resumed, .leaving): return .restore
    case (.resumed, .normal), (.resumed, .moved): return nil
    case (.stoppedAfterMigration, _): return .remove
    }
  }

  /// The claim a step makes; nil for `remove`.
  public static func claim(after step: Step) -> GuestRoutePreference? {
    switch step {
    case .finishArrival: .moved
    case .withdraw: .leaving
    case .restore: .normal
    case .remove: nil
    }
  }

  /// The plan that changes `record`'s claim to `preference`, from the record's NICs and the config: the
  /// elements that come or go (ARP answering on proxy-arp uplinks goes live when `arriving` ends), and the
  /// route at the new metric, added before the old one is deleted (`ApplyDecision` orders them so).
  public static func plan(
    _ record: DomainRecord, to preference: GuestRoutePreference, config: HostConfig, now: Int
  ) -> Plan {
    let desired = Planner.guestObjects(
      for: record.interfaces, domain: record.domain, config: config, preference: preference)
    let stale = record.objects.filter { !desired.contains($0) }
    let claim = Claim(preference, since: now)
    return Plan(
      guestChanges: stale.map(KernelChange.remove) + desired.map(KernelChange.add),
      record: DomainRecord(
        domain: record.domain, interfaces: record.interfaces, objects: desired, preference: claim.preference,
        since: claim.since),
      domain: record.domain)
  }

  /// One announcement to send once a guest runs here: a gratuitous ARP for an IPv4 address, an unsolicited
  /// neighbour advertisement (override flag set) for an IPv6 one.
  public struct Announcement: Sendable, Equatable, CustomStringConvertible {
    public var interface: String
    public var address: IPAddress
    /// The ARP sender's hardware address; nil for the interface's own (the host answers for the guest
    /// there). The Ethernet source is always the interface's own, so no switch or bridge learns the guest's
    /// MAC on the host's port. An advertisement always carries the interface's own.
    public var sender: MACAddress?
    /// An advertisement's router flag: set for the guests' gateway `fe80::1`, clear for a guest's address
    /// (the kernel's own proxy answers carry none for our entries either).
    public var router: Bool

    public init(interface: String, address: IPAddress, sender: MACAddress? = nil, router: Bool = false) {
      self.interface = interface
      self.address = address
      self.sender = sender
      self.router = router
    }

    public var description: String {
      switch address {
      case .v4: "gratuitous ARP: \(address) on \(interface) as \(sender?.description ?? "its own MAC")"
      case .v6: "neighbour advertisement: \(address) on \(interface)\(router ? " (router)" : "") as its own MAC"
      }
    }
  }

  /// What moves neighbour caches to where the guest now runs, sent after the claim changed:
  /// - IPv4: gratuitous ARP on every proxy-arp uplink of each NIC (the LAN's caches point at this host), on
  ///   the guest bridge with the guest's own MAC (the local guests that reached it through the host while
  ///   it ran elsewhere now reach it directly), and on the bridge for the network's gateway with the bridge's
  ///   MAC: the moved guest still holds the source host's bridge MAC for its default router, and its frames to
  ///   that MAC die on this bridge until the entry goes stale and is probed (15–45 s, then 5 s, with Linux's
  ///   defaults; `bench/gateway-move.sh` measured the same wait for IPv6). A gratuitous ARP overrides an
  ///   existing entry whatever its state (`arp_process`'s `is_garp`), and creates none.
  /// - IPv6: an unsolicited neighbour advertisement with the override flag for the guest's address on every
  ///   proxy-arp uplink (proxy_ndp's own answers carry no override flag, so without it a LAN host keeps the
  ///   source's MAC until its entry goes stale), and one for the gateway `fe80::1` on the guest bridge with
  ///   the router flag (the guest itself still holds the source host's MAC for its router). None for the
  ///   guest's address on the bridge: IPv6 guests never solicit each other, they send to `fe80::1`
  ///   (docs/ipv6.md).
  public static func announcements(_ record: DomainRecord, config: HostConfig) -> [Announcement] {
    var announcements: [Announcement] = []
    for nic in record.interfaces {
      let uplinks = nic.uplinks.compactMap(config.uplink(named:)).filter { $0.mode == .proxyARP }
      let network = config.guestNetworks.first { $0.name == nic.network }
      if let address = nic.address {
        for uplink in uplinks { announcements.append(Announcement(interface: uplink.interface, address: .v4(address))) }
        announcements.append(Announcement(interface: nic.bridge, address: .v4(address), sender: nic.mac))
        if let network {
          let gateway = Announcement(interface: nic.bridge, address: .v4(network.gateway.address))
          if !announcements.contains(gateway) { announcements.append(gateway) }
        }
      }
      if let address6 = nic.address6, network?.gateway6 != nil {
        for uplink in uplinks { announcements.append(Announcement(interface: uplink.interface, address: .v6(address6))) }
        let gateway = Announcement(
          interface: nic.bridge, address: .v6(IPv6Interface.linkLocalGateway.address), router: true)
        if !announcements.contains(gateway) { announcements.append(gateway) }
      }
    }
    return announcements
  }

  /// The gratuitous ARP (and, for IPv6 guests, unsolicited neighbour advertisements) a drift repair owes the
  /// LAN: a proxy-arp uplink whose `proxy_arp` (or `proxy_ndp`) had to be set again
  /// was re-created (NetworkManager, a driver reload) or reset, and a re-created one may carry a new MAC that
  /// the LAN's caches do not know; they would keep sending to the old one until their entries age out
  /// (15–45 s with Linux's defaults). So every guest this host answers for on such an uplink (`records`
  /// whose claim answers there) is announced on it, with the uplink's MAC, once the repair is committed.
  public static func reannouncements(repaired: [KernelObject], records: [DomainRecord], config: HostConfig)
    -> [Announcement]
  {
    let recreated = Set(
      repaired.compactMap { object -> String? in
        guard case .sysctl(let sysctl) = object, sysctl.key == .proxyARP || sysctl.key == .proxyNDP else {
          return nil
        }
        return sysctl.interface
      })
    let uplinks = config.uplinks.filter { $0.mode == .proxyARP && recreated.contains($0.interface) }
    guard !uplinks.isEmpty else { return [] }
    var announcements: [Announcement] = []
    for record in records where record.preference.answersOnUplinks {
      for nic in record.interfaces {
        let network = config.guestNetworks.first { $0.name == nic.network }
        // The IPv6 address too (an unsolicited advertisement), where the uplink answers NDP for it.
        let addresses = [nic.address.map(IPAddress.v4), network?.gateway6 == nil ? nil : nic.address6.map(IPAddress.v6)]
        for address in addresses.compactMap({ $0 }) {
          for uplink in uplinks where nic.uplinks.contains(uplink.name) {
            announcements.append(Announcement(interface: uplink.interface, address: address))
          }
        }
      }
    }
    return announcements
  }
}
