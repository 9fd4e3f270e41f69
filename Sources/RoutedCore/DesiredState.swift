/// What the kernel should hold for the running domains: per-guest objects and, when any guest is routed, the baseline.
public struct DesiredState: Sendable, Equatable {
  /// A running domain with something to route, or with a record to clear.
  public struct Domain: Sendable, Equatable {
    public var description: DomainDescription
    public var uri: String
    public var interfaces: [ManagedInterface]
    public var objects: [KernelObject]

    public var identity: DomainIdentity { description.identity }
  }

  /// A running domain that cannot be planned; its record (if any) is left alone.
  public struct Problem: Sendable, Equatable {
    public var domain: DomainIdentity
    public var uri: String
    public var message: String
  }

  /// Running domains with managed NICs, in listing order (unmanaged ones are left out).
  public var domains: [Domain]
  /// Running domains whose XML or metadata cannot be used.
  public var problems: [Problem]
  /// UUIDs of every running domain, planned or not: their records are never removed.
  public var running: Set<String>
  /// The host baseline; empty when no running guest is managed (then `host down` may have removed it on purpose).
  public var baseline: [KernelObject]

  /// Every object that should exist.
  public var objects: [KernelObject] { baseline + domains.flatMap(\.objects) }
}
