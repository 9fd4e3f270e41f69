/// Which libvirt hook script routed-hook is running as.
public enum HookKind: String, Sendable, CaseIterable {
  case qemu, lxc, network

  /// The kind from argv[0]: `/etc/libvirt/hooks/qemu.d/routed-hook` or `/etc/libvirt/hooks/qemu`.
  public init?(executablePath path: String) {
    // The last two components, taken from the end: splitting the whole path would instantiate an array
    // type at run time on every hook call.
    let file = Self.lastComponent(Substring(path))
    if let kind = HookKind(rawValue: String(file)) {
      self = kind
      return
    }
    let directory = Self.lastComponent(path[..<file.startIndex])
    guard directory.hasSuffix(".d"), let kind = HookKind(rawValue: String(directory.dropLast(2))) else {
      return nil
    }
    self = kind
  }

  /// The last non-empty `/`-separated component, empty when there is none.
  private static func lastComponent(_ path: Substring) -> Substring {
    var rest = path
    while rest.last == "/" { rest = rest.dropLast() }
    guard let slash = rest.lastIndex(of: "/") else { return rest }
    return rest[rest.index(after: slash)...]
  }

  /// The operations libvirt sends this kind of hook.
  public var knownOperations: [String] {
    switch self {
    case .qemu:
      ["prepare", "start", "started", "stopped", "release", "migrate", "restore", "reconnect", "attach"]
    case .lxc: ["prepare", "start", "started", "stopped", "release", "reconnect"]
    case .network:
      ["start", "started", "stopped", "port-created", "port-deleted", "plugged", "unplugged", "updated"]
    }
  }
}

/// A hook call: `<object> <op> <subop> <extra>`, as libvirt passes them, with `-` for empty.
public struct HookInvocation: Sendable, Equatable {
  public var kind: HookKind
  /// The domain (or network) name.
  public var object: String
  public var operation: String
  public var subOperation: String
  public var extra: String

  /// Validates the four arguments libvirt passes.
  public init(kind: HookKind, arguments: [String]) throws(HookUsageError) {
    guard arguments.count == 4 else {
      throw HookUsageError(
        "expected 4 arguments (<name> <op> <subop> <extra>) as libvirt passes them, got \(arguments.count)")
    }
    guard kind.knownOperations.contains(arguments[1]) else {
      throw HookUsageError(
        "unknown \(kind.rawValue) hook operation '\(arguments[1])' (known: \(kind.knownOperations.joined(separator: ", ")))"
      )
    }
    self.kind = kind
    object = arguments[0]
    operation = arguments[1]
    subOperation = arguments[2]
    extra = arguments[3]
  }
}

extension HookInvocation {
  /// The call as the exit policy should see it. libvirt always passes four arguments; an operation that must
  /// never fail (`stopped`, `release`, `reconnect`, …) given another count still runs, on the first four with
  /// a missing extra as `-`, rather than leave a stopped guest routed or kill a running one. The warning says
  /// so; every other operation with a wrong count is refused as before.
  public static func lenient(kind: HookKind, arguments: [String]) throws(HookUsageError) -> (
    invocation: HookInvocation, warning: String?
  ) {
    do {
      return (try HookInvocation(kind: kind, arguments: arguments), nil)
    } catch {
      guard arguments.count >= 2, arguments.count != 4,
        let padded = try? HookInvocation(kind: kind, arguments: Array((arguments + ["-", "-"]).prefix(4))),
        HookPolicy.decide(padded).onFailure == .neverFail
      else { throw error }
      return (padded, "\(error.description); going on with '\(padded.operation)', which libvirt must not see fail")
    }
  }
}

/// A malformed hook call: wrong argument count or an operation libvirt never sends.
public struct HookUsageError: Error, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
