/// What one kernel notification means for the records.
public enum DriftSignal: Sendable, Equatable {
  /// Cannot hurt anything recorded: an addition, another program's table, a link nobody configured.
  case none
  /// An owned guest object for this address went away: damage, unless the address no longer belongs to a
  /// record (a hook's `stopped`, our own removal), which the daemon tells from the address index.
  case guestAddress(String)
  /// Something of the baseline or a whole table changed: check everything.
  case everything(String)
  /// Notifications were lost (the socket's buffer overran): check everything.
  case overrun
}

/// Decides what a kernel notification means for the records, from the notification alone: no dump, no
/// lookup, so that a burst of thousands (`ip route flush proto 151` with every guest) costs little more than
/// reading it. The `everything` texts are the watch's repair triggers (status, syslog, docs/watch.md).
public struct DriftClassifier: Sendable {
  public var routeProtocol: UInt8
  /// The config's bridges and uplinks: a link or IPv6 address event of any other name (a guest's tap)
  /// changes nothing of ours.
  public var interfaces: [String]
  /// Our nftables tables by name (`routed_hook`, `routed_hook_nat`), in any family.
  public var tables: [String]

  public init(routeProtocol: UInt8, interfaces: [String], tables: [String]) {
    self.routeProtocol = routeProtocol
    self.interfaces = interfaces
    self.tables = tables
  }

  /// The interface whose name `signal(for:interfaceName:)` needs, when the notification gives only its
  /// index: an IPv6 address's removal (IPv4 ones all count, and taps have none).
  public func interfaceToName(_ notification: KernelNotification) -> Int32? {
    guard case .addressRemoved(let removed) = notification, case .v6 = removed.address else { return nil }
    return removed.index
  }

  /// `interfaceName`: the name of `interfaceToName(notification)` when the notification was read, nil when
  /// none was needed or the interface is gone.
  public func signal(for notification: KernelNotification, interfaceName: String? = nil) -> DriftSignal {
    switch notification {
    case .route(let change): signal(for: change)
    case .addressRemoved(let removed):
      // An IPv6 address leaves every tap that goes away (its link-local one): only one on a bridge or uplink
      // of ours matters.
      if case .v4 = removed.address {
        .everything("an IPv4 address was removed")
      } else if let interfaceName, interfaces.contains(interfaceName) {
        .everything("an IPv6 address was removed")
      } else {
        .none
      }
    case .link(let name, let removed):
      interfaces.contains(name)
        ? .everything("link \(name) \(removed ? "went away" : "changed or appeared")") : .none
    case .nftablesDeletion(let deletion): signal(for: deletion)
    }
  }

  private func signal(for change: RouteEvent) -> DriftSignal {
    let ours = change.routeProtocol == routeProtocol
    // A route of ours deleted, or any route put in place of another (which may have been ours).
    guard (change.removed && ours) || (change.replacing && !ours) else { return .none }
    guard let destination = change.destination, change.prefixLength == (destination.isV6 ? 128 : 32) else {
      return .everything(
        "route \(change.destination?.description ?? "default")/\(change.prefixLength) changed")
    }
    return .guestAddress(destination.description)
  }

  private func signal(for deletion: NftDeletion) -> DriftSignal {
    guard tables.contains(deletion.table) else { return .none }
    let verb: String
    switch deletion.kind {
    case .table: verb = "table deleted"
    case .chain: verb = "chain deleted"
    case .rule: verb = "rule deleted"
    case .set: verb = "set deleted"
    case .element: return signal(forElementKey: deletion.elementKey)
    }
    return .everything("nftables: \(verb) in table \(deletion.table)")
  }

  /// Every guest set's key starts with the guest's address: IPv4 alone (4 bytes) or with an interface name
  /// (4 + 16), IPv6 alone (16) or with an interface name (16 + 16).
  private func signal(forElementKey key: [UInt8]?) -> DriftSignal {
    let address: IPAddress? =
      switch key?.count {
      case 4, 20: key.flatMap { IPv4Address(networkBytes: $0.prefix(4)) }.map(IPAddress.v4)
      case 16, 32: key.flatMap { IPv6Address(networkBytes: $0.prefix(16)) }.map(IPAddress.v6)
      default: nil
      }
    guard let address else { return .everything("nftables: an element left a table of ours") }
    return .guestAddress(address.description)
  }
}
