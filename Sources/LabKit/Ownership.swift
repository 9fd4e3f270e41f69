/// Decides what belongs to which lab, so `up` never builds over, and `down` never removes, anything foreign.
public struct Ownership: Sendable {
  public let stateRoot: String

  public init(stateRoot: String = LabNames.defaultStateRoot) { self.stateRoot = stateRoot }

  /// Namespaces recorded by any lab's journal.
  public var recordedNamespaces: Set<String> {
    Set(Journal.labs(stateRoot: stateRoot).flatMap { Journal(names: LabNames(lab: $0, stateRoot: stateRoot)).namespaces })
  }

  /// Reasons `up` must not run: lab-prefixed namespaces or root links that no lab recorded.
  public func foreignObjects() -> [String] {
    let recorded = recordedNamespaces
    var problems: [String] = []
    for namespace in LinkInventory.namespaces()
    where namespace.hasPrefix(LabNames.namespacePrefix) && !recorded.contains(namespace) {
      problems.append("namespace \(namespace) has the lab prefix '\(LabNames.namespacePrefix)' but no lab recorded it")
    }
    let labs = Set(Journal.labs(stateRoot: stateRoot))
    for link in LinkInventory.links(namespace: nil) {
      for altname in link.altnames where altname.hasPrefix(LabNames.altnamePrefix) {
        let lab = altname.dropFirst(LabNames.altnamePrefix.count).split(separator: ".").first.map(String.init) ?? ""
        if !labs.contains(lab) {
          problems.append("link \(link.name) in the root namespace carries lab altname \(altname) but no lab recorded it")
        }
      }
    }
    return problems
  }

  /// True when a namespace carries at least one link with this lab's ownership altname.
  public static func carriesAltname(namespace: String, names: LabNames) -> Bool {
    LinkInventory.links(namespace: namespace).contains { link in
      link.altnames.contains { $0.hasPrefix(names.altnameStem) }
    }
  }
}
