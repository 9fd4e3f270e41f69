/// What a lab may leave on the machine, listed the way `lab/demo` lists it: lab namespaces, root links, lab
/// processes and root nftables tables. Equal before and after means nothing was left behind.
public struct LabFootprint: Equatable, Sendable {
  public var lines: [String]

  public static func now() -> LabFootprint {
    let namespaces = LinkInventory.namespaces().filter { $0.hasPrefix(LabNames.namespacePrefix) }.sorted()
    let links = LinkInventory.links(namespace: nil).map(\.name).sorted()
    let processes = FileSystem.list("/proc").filter { entry in
      guard Int32(entry) != nil, let commandLine = FileSystem.read("/proc/\(entry)/cmdline") else { return false }
      return commandLine.contains(LabNames.defaultStateRoot + "/")
    }.sorted()
    let tables = (try? Command.run(["nft", "list", "tables"], timeout: 10))?.stdout.split(separator: "\n").map(String.init)
      .sorted() ?? []
    return LabFootprint(lines: [
      "namespaces: \(namespaces.joined(separator: " "))",
      "root links: \(links.joined(separator: " "))",
      "lab processes: \(processes.joined(separator: " "))",
      "root nft tables: \(tables.joined(separator: " "))",
    ])
  }

  /// The lines that differ, before → after.
  public func differences(to after: LabFootprint) -> [String] {
    zip(lines, after.lines).filter { $0 != $1 }.map { "before \($0) / after \($1)" }
  }
}
