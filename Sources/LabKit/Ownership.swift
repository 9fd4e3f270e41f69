/// Decides what belongs to which lab, so `up` never builds over, and `down` never removes, anything foreign.
public struct Ownership: Sendable {
  public let stateRoot: String

  public init(stateRoot: String = LabNames.defaultStateRoot) { self.stateRoot = stateRoot }

  /// Namespaces recorded by any lab's journal.
  public var recordedNamespaces: Set<String> {
    Set(
      Journal.labs(stateRoot: stateRoot).flatMap {
        Journal(names: LabNames(lab: $0, stateRoot: stateRoot)).namespaces
      })
  }

  /// Reasons `up` must not run, read from the machine now.
  public func foreignObjects() -> [String] {
    // Read the machine before the journals: a lab records a namespace before creating it, so anything
    // listed here is already in its journal when the journals are read.
    let namespaces = LinkInventory.namespaces()
    let rootLinks = LinkInventory.links(namespace: nil)
    return Self.foreignObjects(
      namespaces: namespaces, rootLinks: rootLinks, recorded: recordedNamespaces,
      labs: Set(Journal.labs(stateRoot: stateRoot)))
  }

  /// Lab-prefixed namespaces that no lab recorded, and root links carrying the altname of no recorded lab.
  public static func foreignObjects(
    namespaces: [String], rootLinks: [LinkInventory.Link], recorded: Set<String>, labs: Set<String>
  ) -> [String] {
    var problems: [String] = []
    for namespace in namespaces
    where namespace.hasPrefix(LabNames.namespacePrefix) && !recorded.contains(namespace) {
      problems.append(
        "namespace \(namespace) has the lab prefix '\(LabNames.namespacePrefix)' but no lab recorded it")
    }
    for link in rootLinks {
      for altname in link.altnames where altname.hasPrefix(LabNames.altnamePrefix) {
        let lab =
          altname.dropFirst(LabNames.altnamePrefix.count).split(separator: ".").first.map(String.init) ?? ""
        if !labs.contains(lab) {
          problems.append(
            "link \(link.name) in the root namespace carries lab altname \(altname) but no lab recorded it")
        }
      }
    }
    return problems
  }

  /// Labs whose altnames mark links in lab-prefixed namespaces: how `down` finds a lab whose state
  /// directory is gone.
  public static func labsOnMachine() -> Set<String> {
    var labs: Set<String> = []
    for namespace in LinkInventory.namespaces() where namespace.hasPrefix(LabNames.namespacePrefix) {
      for link in LinkInventory.links(namespace: namespace) {
        for altname in link.altnames where altname.hasPrefix(LabNames.altnamePrefix) {
          if let lab = altname.dropFirst(LabNames.altnamePrefix.count).split(separator: ".").first {
            labs.insert(String(lab))
          }
        }
      }
    }
    return labs
  }

  /// True when a namespace carries at least one link with this lab's ownership altname.
  public static func carriesAltname(namespace: String, names: LabNames) -> Bool {
    LinkInventory.links(namespace: namespace).contains { link in
      link.altnames.contains { $0.hasPrefix(names.altnameStem) }
    }
  }
}
