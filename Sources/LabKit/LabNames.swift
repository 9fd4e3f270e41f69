/// Every name and path the lab derives from its lab name: namespaces, ownership altnames, state directories.
public struct LabNames: Sendable {
  /// All namespaces of all labs start with this; `up` refuses to run beside one that no lab recorded.
  public static let namespacePrefix = "rl-"
  /// All ownership altnames start with this.
  public static let altnamePrefix = "rl."
  /// Where labs record what they made, so `down` works without the topology file.
  public static let defaultStateRoot = "/run/routed-lab"

  public let lab: String
  public let stateRoot: String

  public init(lab: String, stateRoot: String = LabNames.defaultStateRoot) {
    self.lab = lab
    self.stateRoot = stateRoot
  }

  /// The namespace of a node: `rl-<lab>-<node>`.
  public func namespace(_ node: String) -> String { "\(Self.namespacePrefix)\(lab)-\(node)" }

  /// The altname that marks a link as made by this lab; `down` and the ownership checks look for it.
  public func altname(node: String, interface: String) -> String {
    "\(Self.altnamePrefix)\(lab).\(node).\(interface)"
  }

  /// What every altname of this lab starts with.
  public var altnameStem: String { "\(Self.altnamePrefix)\(lab)." }
  /// What every namespace of this lab starts with.
  public var namespaceStem: String { "\(Self.namespacePrefix)\(lab)-" }

  /// The lab's state directory.
  public var labDirectory: String { "\(stateRoot)/\(lab)" }
  public var journal: String { "\(labDirectory)/journal" }
  public var topologyCopy: String { "\(labDirectory)/topology.yaml" }
  /// Holds the original topology file's directory, to resolve hook config files later.
  public var sourceRecord: String { "\(labDirectory)/source" }
  public var runningDirectory: String { "\(labDirectory)/running" }
  public func runningMarker(_ guest: String) -> String { "\(runningDirectory)/\(guest)" }

  public func hostDirectory(_ host: String) -> String { "\(labDirectory)/\(host)" }
  public func ovsDirectory(_ host: String) -> String { "\(hostDirectory(host))/ovs" }
  public func ovsSocket(_ host: String) -> String { "\(ovsDirectory(host))/db.sock" }
  public func hookStateDirectory(_ host: String) -> String { "\(hostDirectory(host))/hook-state" }
  public func hookConfig(_ host: String) -> String { "\(hostDirectory(host))/routed-hook.yaml" }
  public func domainXML(_ guest: String) -> String { "\(labDirectory)/domains/\(guest).xml" }
  public var scriptDirectory: String { "\(labDirectory)/scripts" }
}
