/// Compares what should be (the running domains' XML and the config) with what is (records, kernel) and lists the
/// steps that make them agree. Pure: the caller reads libvirt, the records and the kernel; `HookRuntime` acts.
public enum Reconciler {
  /// The desired state of the running domains, by name (libvirt lists them in no stable order). `records` only
  /// break ties: when two running domains claim one address, the one recorded with it keeps it (else the first by
  /// name), and the other is a problem.
  public static func desiredState(
    active: [ActiveDomain], config: HostConfig, facts: HostFacts, records: [DomainRecord]
  ) -> DesiredState {
    var domains: [DesiredState.Domain] = []
    var problems: [DesiredState.Problem] = []
    var running = Set<String>()
    for domain in active.sorted(by: { $0.identity.name < $1.identity.name })
    where running.insert(domain.identity.uuid).inserted {
      guard let description = domain.description else {
        let message = domain.problem ?? "its XML could not be read"
        problems.append(.init(domain: domain.identity, uri: domain.uri, message: message))
        continue
      }
      do {
        let interfaces = try GuestResolver.managedInterfaces(of: description, config: config)
        // A migration claim stays what the record says: reconcile repairs, `Handover` changes claims.
        let claim = records.first { $0.domain.uuid == description.identity.uuid }?.preference ?? .normal
        let objects = Planner.guestObjects(
          for: interfaces, domain: description.identity, config: config, preference: claim)
        domains.append(
          .init(description: description, uri: domain.uri, interfaces: interfaces, objects: objects))
      } catch {
        problems.append(.init(domain: domain.identity, uri: domain.uri, message: error.description))
      }
    }

    // One address, one running guest: the talk's "two paths" pitfall, and what the hook refuses at start.
    let holders = Dictionary(
      records.flatMap { record in record.interfaces.flatMap { $0.addresses.map { ($0, record.domain.uuid) } } },
      uniquingKeysWith: { first, _ in first })
    var owner: [IPAddress: DomainIdentity] = [:]
    for domain in domains {
      for address in domain.interfaces.flatMap(\.addresses)
      where owner[address] == nil || holders[address] == domain.identity.uuid {
        owner[address] = domain.identity
      }
    }
    domains.removeAll { domain in
      guard let clash = domain.interfaces.flatMap(\.addresses).first(where: { owner[$0] != domain.identity })
      else {
        return false
      }
      let other = owner[clash]!
      problems.append(
        .init(
          domain: domain.identity, uri: domain.uri,
          message: "address \(clash) is also claimed by running domain \(other.name)"))
      return true
    }

    let routed = domains.contains { !$0.interfaces.isEmpty }
    return DesiredState(
      domains: domains, problems: problems, running: running,
      baseline: routed ? Planner.baseline(config: config, facts: facts) : [])
  }

  /// The steps, removals first.
  ///
  /// - `recordsBeforeListing`: records read before libvirt was asked. Only a record that was there then, unchanged,
  ///   proves that its domain stopped: a domain started while libvirt was listed has a newer record. The other
  ///   way round, a listed domain whose record was there then and is gone now was removed by a hook meanwhile:
  ///   the listing may predate its stop, so it is not re-applied.
  /// - `listingComplete`: false when a connection could not be opened for a reason other than its driver not
  ///   existing here; domains not listed may then still run, so nothing of theirs is removed.
  public static func plan(
    desired: DesiredState, records: [DomainRecord], recordsBeforeListing: [DomainRecord],
    listingComplete: Bool,
    present: Set<KernelObject>, owned: [KernelObject]
  ) -> ReconcilePlan {
    var plan = ReconcilePlan()
    let recorded = Dictionary(records.map { ($0.domain.uuid, $0) }, uniquingKeysWith: { first, _ in first })
    let before = Dictionary(
      recordsBeforeListing.map { ($0.domain.uuid, $0) }, uniquingKeysWith: { first, _ in first })

    for record in records.sorted(by: { $0.domain.name < $1.domain.name })
    where !desired.running.contains(record.domain.uuid) {
      let who = "\(record.domain.name) (\(record.domain.uuid))"
      if !listingComplete {
        plan.notes.append("kept record of \(who): not listed, but a connection failed, so it may run there")
      } else if before[record.domain.uuid] != record {
        plan.notes.append(
          "kept record of \(who): written while libvirt was being listed; the next run decides")
      } else {
        plan.actions.append(.removeRecord(record))
      }
    }

    let explained = Set((records.flatMap(\.objects) + desired.objects).map(\.asStored))
    let orphans = owned.filter { !explained.contains($0) }
    if listingComplete {
      plan.actions += orphans.map(ReconcileAction.removeOrphan)
    } else if !orphans.isEmpty {
      plan.notes.append(
        "kept \(orphans.count) owned object(s) in no record: a connection failed, so their domain may run there"
      )
    }

    let missingBaseline = desired.baseline.filter { !present.contains($0) }
    if !missingBaseline.isEmpty { plan.actions.append(.restoreBaseline(missing: missingBaseline)) }

    for domain in desired.domains {
      let record = recorded[domain.identity.uuid]
      guard !domain.interfaces.isEmpty else {
        if record != nil { plan.actions.append(.apply(domain, reason: .noLongerManaged)) }
        continue
      }
      let missing = domain.objects.filter { !present.contains($0) }.count
      if let record {
        if Set(record.objects) != Set(domain.objects) || record.interfaces != domain.interfaces {
          plan.actions.append(.apply(domain, reason: .recordDiffers(missing: missing)))
        } else if missing > 0 {
          plan.actions.append(.apply(domain, reason: .missing(missing)))
        } else {
          plan.unchanged.append(domain.identity)
        }
      } else if before[domain.identity.uuid] != nil {
        // A hook removed it after the listing began (`stopped` or `release`, the last NIC's `port-deleted`, a
        // migration's stop), so the listing may predate the stop: libvirt lists a domain as active, then answers
        // for its XML only once the destroy that holds the domain's lock (and runs those hooks) is over. Applying
        // would route a guest that is gone, after its last hook call, until something removes it again.
        plan.notes.append(
          "did not re-apply \(domain.identity.name) (\(domain.identity.uuid)): its record was removed while "
            + "libvirt was being listed; the next run decides")
      } else {
        plan.actions.append(.apply(domain, reason: .noRecord(missing: missing)))
      }
    }
    for problem in desired.problems {
      plan.notes.append(
        "left \(problem.domain.name) (\(problem.domain.uuid)) on \(problem.uri) alone: \(problem.message)")
    }
    return plan
  }
}
