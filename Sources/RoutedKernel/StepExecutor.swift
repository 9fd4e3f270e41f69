import Glibc
import RoutedCore

extension KernelHandle {
  /// Performs the steps in order. When one fails, the undos of the steps already done run in reverse, and the
  /// error says whether that worked; steps without an undo (idempotent host state) stay as they are.
  public func execute(_ steps: [PlannedStep]) throws {
    var done: [PlannedStep] = []
    for planned in steps {
      do {
        try perform(planned.step)
      } catch {
        let undos = done.reversed().compactMap(\.undo)
        guard !undos.isEmpty else { throw error }
        var problems: [String] = []
        for undo in undos {
          do { try perform(undo) } catch { problems.append("\(error)") }
        }
        let rollback =
          problems.isEmpty ? "rolled back" : "rollback incomplete: \(problems.concatenated(separator: "; "))"
        throw SystemError("\(error) (\(rollback))", errno: (error as? SystemError)?.errno)
      }
      done.append(planned)
    }
  }

  private func perform(_ step: KernelStep) throws {
    switch step {
    case .setLink(let link, let mtu): try rtnetlink.setLink(link, mtu: mtu)
    case .changeAddress(let add, let link, let address, let routeProtocol):
      try rtnetlink.changeAddress(add: add, link: link, address, routeProtocol: routeProtocol)
    case .writeSysctl(let setting): try files.write(setting)
    case .commit(let operations): try nftables.commit(NftBatch(operations))
    case .changeRoute(let change): try changeRoute(change)
    case .changeNeighbour(let add, let neighbour, let index): try changeNeighbour(add: add, neighbour, index: index)
    }
  }

  private func changeNeighbour(add: Bool, _ neighbour: ProxyNeighbour, index: Int32) throws {
    let reply = try rtnetlink.changeNeighbour(add: add, neighbour, index: index)
    guard reply.error != 0 else { return }
    // An entry that appeared since the view was read: someone else's is a collision.
    if add, reply.error == EEXIST, let existing = try rtnetlink.neighbour(neighbour.address, index: index),
      let refusal = ApplyDecision.collision(adding: neighbour, found: existing)
    {
      throw SystemError(refusal)
    }
    throw SystemError.system("neighbour \(neighbour): \(add ? "add" : "delete")", reply.error, detail: reply.detail)
  }

  private func changeRoute(_ change: RouteChange) throws {
    let reply = try rtnetlink.changeRoute(change)
    guard reply.error != 0 else { return }
    // A route that appeared since the view was read: name it, as the core does for one it saw.
    if change.operation == .add, reply.error == EEXIST,
      var existing = try rtnetlink.route(exactly: change.route.destination)
    {
      existing.outputName = try existing.outputIndex.flatMap(rtnetlink.linkName(index:))
      if let refusal = ApplyDecision.collision(adding: change.route, found: existing) {
        throw SystemError(refusal)
      }
    }
    let verb =
      switch change.operation {
      case .add: "add"
      case .replace: "replace"
      case .delete: "delete"
      }
    throw SystemError.system("route \(change.route): \(verb)", reply.error, detail: reply.detail)
  }
}

extension SystemError {
  /// A refusal of the core, with the errno its kind stands for.
  public init(_ refusal: KernelRefusal) {
    let code =
      switch refusal.kind {
      case .noSuchInterface: ENODEV
      case .noSuchSysctl: ENOENT
      case .foreignRoute, .foreignNeighbour: EEXIST
      }
    self.init(refusal.message, errno: Errno(code))
  }
}
