import Foundation

/// The lab's record of what it made, written *before* each thing is made, so a killed `up` leaves a full list.
public struct Journal: Sendable {
  public let names: LabNames

  public init(names: LabNames) { self.names = names }

  /// One recorded item.
  public enum Entry: Equatable, Sendable {
    case namespace(String)
    case process(ProcessRecord)
    /// A directory made on the machine (a mount point libvirt's paths need); removed again if still empty.
    case directory(String)
  }

  /// Creates the lab directory and an empty journal, keeping an existing one.
  public func start() throws {
    try FileSystem.makeDirectory(names.labDirectory)
    if !FileSystem.exists(names.journal) { try FileSystem.write("", to: names.journal) }
  }

  /// Records namespaces before they are created.
  public func record(namespaces: [String]) throws {
    try append(namespaces.map { "netns \($0)\n" }.joined())
  }

  /// Records a started daemon by PID and start time.
  public func record(process: ProcessRecord) throws {
    try append("pid \(process.pid) \(process.startTime) \(process.name)\n")
  }

  /// Records a directory before it is made.
  public func record(directory: String) throws {
    try append("dir \(directory)\n")
  }

  /// Daemons of several hosts start side by side; one lock keeps their records from overwriting each other.
  private static let appendLock = NSLock()

  private func append(_ text: String) throws {
    Self.appendLock.lock()
    defer { Self.appendLock.unlock() }
    try FileSystem.append(text, to: names.journal)
  }

  /// Everything recorded, in order; unreadable lines are skipped.
  public func entries() -> [Entry] {
    guard let text = FileSystem.read(names.journal) else { return [] }
    return text.split(separator: "\n").compactMap { line in
      let words = line.split(separator: " ").map(String.init)
      if words.count == 2, words[0] == "netns" { return .namespace(words[1]) }
      if words.count == 2, words[0] == "dir" { return .directory(words[1]) }
      if words.count == 4, words[0] == "pid", let pid = Int32(words[1]), let start = UInt64(words[2]) {
        return .process(ProcessRecord(pid: pid, startTime: start, name: words[3]))
      }
      return nil
    }
  }

  /// The recorded namespaces, each once (a real LXC guest's is recorded at every start).
  public var namespaces: [String] {
    var seen = Set<String>()
    return entries().compactMap { entry in
      guard case .namespace(let name) = entry, seen.insert(name).inserted else { return nil }
      return name
    }
  }

  /// The recorded directories.
  public var directories: [String] {
    entries().compactMap { if case .directory(let path) = $0 { return path } else { return nil } }
  }

  /// The recorded processes.
  public var processes: [ProcessRecord] {
    entries().compactMap { if case .process(let record) = $0 { return record } else { return nil } }
  }

  /// Every lab that has a journal under the state root.
  public static func labs(stateRoot: String = LabNames.defaultStateRoot) -> [String] {
    FileSystem.list(stateRoot).filter { FileSystem.exists("\(stateRoot)/\($0)/journal") }
  }
}
