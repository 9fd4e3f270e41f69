/// What a hook call does.
public enum HookAction: String, Sendable, Equatable {
  /// Nothing: an operation we don't act on.
  case ignore
  /// Check the domain against the config and the host; change nothing.
  case validate
  /// `migrate begin` on the destination: validate, and note that the domain's next `started` is an incoming
  /// migration (installed `arriving`, see `Handover`).
  case validateIncoming
  /// `start`, right after `prepare` checked the host: check the domain against the config and the running
  /// guests again, without reading the host.
  case recheck
  /// Make the domain's routing real.
  case apply
  /// Undo exactly what the domain's record says.
  case remove
  /// Re-apply whatever is missing (libvirtd restarted with the guest running).
  case reapply
  /// Network hook: make the host baseline (gateway, sysctls, tables, peer routes).
  case applyBaseline
  /// Network hook: remove the host baseline once no guest uses it.
  case removeBaseline
  /// Network hook: route one NIC (`port-created`, also on hotplug and daemon restart).
  case applyPort
  /// Network hook: remove one NIC's routing (`port-deleted`, also on unplug).
  case removePort
}

extension HookAction {
  /// Whether a call about a domain with no managed NIC needs nothing at all (no netlink socket, no lock, no
  /// state directory): true unless the domain has a record to undo. One with no valid UUID cannot have a
  /// record. `recorded` (a file lookup) is asked only when it decides.
  public static func needsNothing(managed: Bool, validIdentity: Bool, recorded: () -> Bool) -> Bool {
    !managed && (!validIdentity || !recorded())
  }

  /// Whether this call notes the domain's next `started` as an incoming migration: `migrate begin` of a
  /// domain with a managed NIC (an unmanaged one has nothing to install `arriving`).
  public func marksIncoming(managed: Bool) -> Bool { self == .validateIncoming && managed }
}

/// What an error in a hook call means for libvirt.
public enum FailureMode: String, Sendable, Equatable {
  /// Exit 1 with one line on stderr: libvirt refuses the operation.
  case refuse
  /// Log it and exit 0: libvirt ignores the exit code, or (reconnect) would kill the running guest.
  case neverFail
}

/// The exit policy: for each kind and operation, the action and what a failure means.
public struct HookPolicy: Sendable, Equatable {
  public var action: HookAction
  public var onFailure: FailureMode

  /// The policy for one hook call.
  public static func decide(_ invocation: HookInvocation) -> HookPolicy {
    switch (invocation.kind, invocation.operation) {
    case (.qemu, "prepare"), (.lxc, "prepare"):
      HookPolicy(action: .validate, onFailure: .refuse)
    case (.qemu, "start"), (.lxc, "start"):
      HookPolicy(action: .recheck, onFailure: .refuse)
    case (.qemu, "started"), (.lxc, "started"):
      HookPolicy(action: .apply, onFailure: .refuse)
    case (.qemu, "stopped"), (.qemu, "release"), (.lxc, "stopped"), (.lxc, "release"):
      HookPolicy(action: .remove, onFailure: .neverFail)
    case (.qemu, "reconnect"), (.lxc, "reconnect"):
      HookPolicy(action: .reapply, onFailure: .neverFail)
    case (.qemu, "migrate"):
      HookPolicy(action: .validateIncoming, onFailure: .refuse)
    case (.qemu, "restore"), (.network, "start"):
      HookPolicy(action: .validate, onFailure: .refuse)
    case (.network, "started"), (.network, "updated"):
      HookPolicy(action: .applyBaseline, onFailure: .refuse)
    case (.network, "stopped"):
      HookPolicy(action: .removeBaseline, onFailure: .neverFail)
    // libvirt sends port-created again for every running guest when the daemon restarts; a failure must not
    // hurt them, and the qemu hook already validated the NIC at prepare.
    case (.network, "port-created"):
      HookPolicy(action: .applyPort, onFailure: .neverFail)
    case (.network, "port-deleted"):
      HookPolicy(action: .removePort, onFailure: .neverFail)
    default:
      HookPolicy(action: .ignore, onFailure: .neverFail)
    }
  }

  /// The process exit status after an error under this policy.
  public var exitStatusOnFailure: Int32 { onFailure == .refuse ? 1 : 0 }
}
