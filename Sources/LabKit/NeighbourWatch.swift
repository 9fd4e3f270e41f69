import Foundation

/// When a LAN node's neighbour entry for a migrating guest moves to the destination: `ip -ts monitor neigh` in
/// the node's namespace records every change of its entries on one interface with the kernel's time, and
/// `ip neigh show` reads the entry at the end, so the row shows both the moment and the entry itself.
final class NeighbourWatch: @unchecked Sendable {
  let node: String
  let interface: String
  private let namespace: String
  private let process = Process()
  private let output = Pipe()
  private var lines = ""
  private let lock = NSLock()
  private let reader = DispatchGroup()

  /// One change of the entry: when, to which MAC (nil: none, e.g. FAILED), in which state.
  struct Change: Equatable {
    var time: Date
    var mac: String?
    var state: String
  }

  /// Starts `ip -ts monitor neigh dev INTERFACE` in `node`'s namespace; `stop()` ends it (by its PID).
  init(names: LabNames, node: String, interface: String) throws {
    self.node = node
    self.interface = interface
    namespace = names.namespace(node)
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = ["netns", "exec", namespace, "ip", "-ts", "monitor", "neigh", "dev", interface]
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    reader.enter()
    Thread {
      while case let chunk = self.output.fileHandleForReading.availableData, !chunk.isEmpty {
        self.lock.withLock { self.lines += String(decoding: chunk, as: UTF8.self) }
      }
      self.reader.leave()
    }.start()
  }

  /// Ends the monitor and returns the changes of `address`'s entry, and `ip neigh show` of it now.
  func stop(address: String) -> (changes: [Change], entry: String) {
    if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    process.waitUntilExit()
    _ = reader.wait(timeout: .now() + 2)
    let text = lock.withLock { lines }
    let entry = (try? Command.run(["ip", "-n", namespace, "neigh", "show", address, "dev", interface]))?
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    return (Self.changes(text, address: address), entry)
  }

  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  /// Parses `ip -ts monitor neigh dev X` lines: `[2026-12-03T13:06:50.800218] 10.9.9.9 lladdr 02:.. REACHABLE`
  /// (local time, as the monitor prints it); a `Deleted` line counts as no MAC.
  static func changes(_ text: String, address: String) -> [Change] {
    let format = DateFormatter()
    format.locale = Locale(identifier: "en_US_POSIX")
    format.timeZone = .current
    format.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    var result: [Change] = []
    for line in text.split(separator: "\n") {
      guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { continue }
      let stamp = line[line.index(after: line.startIndex)..<close]
      let parts = stamp.split(separator: ".")
      guard parts.count == 2, let seconds = format.date(from: String(parts[0])), let micros = Double(parts[1])
      else { continue }
      var words = line[line.index(after: close)...].split(separator: " ").map(String.init)
      let deleted = words.first == "Deleted"
      if deleted { words.removeFirst() }
      guard words.first == address else { continue }
      let mac = words.firstIndex(of: "lladdr").flatMap { words.indices.contains($0 + 1) ? words[$0 + 1] : nil }
      result.append(
        Change(
          time: seconds.addingTimeInterval(micros / 1_000_000), mac: deleted ? nil : mac?.lowercased(),
          state: deleted ? "DELETED" : words.last ?? ""))
    }
    return result
  }

  /// How long after `moment` the entry first pointed at `mac` (and stayed so to the end), nil if it never did.
  static func delay(_ changes: [Change], to mac: String, after moment: Date) -> Double? {
    guard let last = changes.last, last.mac == mac else { return nil }
    // The start of the final run of changes that point at `mac`.
    var start = changes.count - 1
    while start > 0, changes[start - 1].mac == mac { start -= 1 }
    return max(0, changes[start].time.timeIntervalSince(moment))
  }
}
