/// The record-keeping decisions of the use cases: what is written ahead of a change, which other running
/// domains must be read to check a start, which addresses a domain gives up, and when the host baseline
/// may go.
public enum RecordPolicy {
  /// The record written before the kernel changes: what the domain had (still to be removed) plus what it
  /// will have, so a crash mid-apply leaves a record that `status` and `reconnect` repair from. Nil when that
  /// is exactly the existing record (nothing to write).
  public static func writeAhead(_ intent: DomainRecord, existing: DomainRecord?) -> DomainRecord? {
    var merged = intent
    merged.objects = (existing?.objects ?? []).filter { !intent.objects.contains($0) } + intent.objects
    return merged == existing ? nil : merged
  }

  /// The other domains to read, from the address index's owners of the NICs' addresses: each once, never
  /// `uuid` itself, in first-seen order.
  public static func otherHolders(_ owners: [String?], except uuid: String) -> [String] {
    var holders: [String] = []
    for case let owner? in owners where owner != uuid && !holders.contains(owner) { holders.append(owner) }
    return holders
  }

  /// The addresses a domain gives up when its record goes from `old` to `new`.
  public static func released(old: DomainRecord?, new: DomainRecord?) -> [IPAddress] {
    let kept = new?.interfaces.flatMap(\.addresses) ?? []
    return (old?.interfaces.flatMap(\.addresses) ?? []).filter { !kept.contains($0) }
  }

  /// Why the baseline must stay: the guests still routed here (their routing lives in its tables); nil when
  /// none is.
  public static func hostDownRefusal(_ records: [DomainRecord]) -> DomainError? {
    guard !records.isEmpty else { return nil }
    let names = records.map(\.domain.name).sorted().joined(separator: ", ")
    return DomainError("\(records.count) guest(s) still routed here (\(names)); stop them first")
  }

  /// What taking the host baseline down does.
  public enum HostDown: Sendable, Equatable {
    /// No guest is recorded: remove it.
    case proceed
    /// Guests are recorded and the caller asked to leave the baseline alone then (the network hook's
    /// `stopped`, whose failure libvirt ignores anyway): nothing happens.
    case keep
    /// Guests are recorded: refuse, naming them (`routed-hook host down`).
    case refuse(DomainError)
  }

  /// The baseline goes only once no guest is routed here (their routing lives in its tables).
  public static func hostDown(_ records: [DomainRecord], whenUnused: Bool) -> HostDown {
    guard let refusal = hostDownRefusal(records) else { return .proceed }
    return whenUnused ? .keep : .refuse(refusal)
  }

  /// Whether config and host allow a baseline: the config's own checks against the host, and every guest
  /// bridge present (the network hook's `start`, `host up`).
  public static func checkHost(config: HostConfig, facts: HostFacts) throws(DomainError) {
    if let problem = ConfigValidator.problems(in: config, facts: facts).first {
      throw DomainError("\(problem.field): \(problem.message)")
    }
    for bridge in config.guestNetworks.map(\.bridge) where facts.addresses[bridge] == nil {
      throw DomainError("bridge \(bridge) does not exist on this host")
    }
  }
}
