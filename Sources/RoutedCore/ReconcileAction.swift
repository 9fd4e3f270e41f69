/// One step of a reconcile, in the order they are carried out: removals first, so an address that moved from a
/// stopped domain to a running one is free when the running one is applied.
public enum ReconcileAction: Sendable, Equatable {
  /// The record of a domain that is not running: remove exactly what it says.
  case removeRecord(DomainRecord)
  /// An owned per-guest object in no record and wanted by no running domain (a crash or a hand edit left it).
  case removeOrphan(KernelObject)
  /// Baseline objects missing while guests are routed (e.g. after `nft flush ruleset`).
  case restoreBaseline(missing: [KernelObject])
  /// A running domain whose routing is missing or differs from its record: re-apply it, as `reconnect` does.
  case apply(DesiredState.Domain, reason: ApplyReason)

  /// Why a running domain is re-applied.
  public enum ApplyReason: Sendable, Equatable {
    /// Routed (its objects are there or not) but no record: a crash between apply and record, or a lost state dir.
    case noRecord(missing: Int)
    /// Its record differs from what config and XML give now (config edited, NIC changed).
    case recordDiffers(missing: Int)
    /// Recorded as it should be, but objects are missing from the kernel.
    case missing(Int)
    /// Recorded, but no NIC of it is managed any more: its objects go and the record with them.
    case noLongerManaged
  }
}

/// What reconcile will do, and what it leaves alone and why.
public struct ReconcilePlan: Sendable, Equatable {
  public var actions: [ReconcileAction]
  /// One line per thing deliberately left alone (a domain that cannot be planned, a record that may be in use).
  public var notes: [String]
  /// Running managed domains already exactly right.
  public var unchanged: [DomainIdentity]

  public init(actions: [ReconcileAction] = [], notes: [String] = [], unchanged: [DomainIdentity] = []) {
    self.actions = actions
    self.notes = notes
    self.unchanged = unchanged
  }
}
