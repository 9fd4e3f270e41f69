import Foundation
import Yams

/// `init:` rows: `routed-hook init` run on a lab host, as an admin would on a host that is already set up,
/// must write a config that `routed-hook check` accepts, and guess what the lab's own config for that host says.
extension ExpectationRunner {
  func initConfig(host: String) throws -> Outcome {
    guard let hook else { throw LabError("no routed-hook to ask") }
    let node = topology.host(named: host)!
    // A fresh file each time: init never overwrites, and a phase can run again (`repeat:`).
    let directory = "\(names.hostDirectory(host))/init"
    let path = "\(directory)/routed-hook.yaml"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var arguments = ["init", "--config", path]
    // The host's OVS is private: init sees its bridges' ports only when told where its database is.
    if node.switchConfig.kind == .ovs { arguments += ["--ovs-db", "unix:\(names.ovsSocket(host))"] }
    let wrote = try hook.command(host: host, arguments)
    guard wrote.succeeded, let written = FileSystem.read(path) else {
      return Outcome(passed: false, measured: "init exit \(wrote.status): \(Self.firstLine(wrote))")
    }
    let check = try hook.command(host: host, ["check", "--config", path])
    guard check.succeeded else {
      return Outcome(passed: false, measured: "init wrote it; check exit \(check.status): \(Self.firstLine(check))")
    }
    let guessed = try Self.essentials(written)
    let intended = try Self.essentials(FileSystem.read(names.config(of: node)) ?? "")
    let missing = intended.filter { !guessed.contains($0) }
    let extra = guessed.filter { !intended.contains($0) }
    var measured = "init and check exit 0"
    if missing.isEmpty, extra.isEmpty {
      measured += "; as the lab's config: " + guessed.filter { $0.hasPrefix("uplink ") }.joined(separator: "; ")
    } else {
      if !missing.isEmpty { measured += "; not guessed: \(missing.joined(separator: "; "))" }
      if !extra.isEmpty { measured += "; guessed instead: \(extra.joined(separator: "; "))" }
    }
    return Outcome(passed: missing.isEmpty && extra.isEmpty, measured: measured)
  }

  private static func firstLine(_ result: CommandResult) -> String {
    let output = result.stderr.isEmpty ? result.stdout : result.stderr
    return output.split(separator: "\n").first.map(String.init) ?? "no output"
  }

  /// What a config decides, without the names an admin picks: each guest network's bridge, gateway, MTU and
  /// uplink interfaces; each uplink's interface, mode, layer and peer routes. Sorted, one line each.
  static func essentials(_ yaml: String) throws -> [String] {
    guard let root = try Yams.load(yaml: yaml) as? [String: Any] else { return [] }
    let uplinks = root["uplinks"] as? [[String: Any]] ?? []
    func text(_ value: Any?) -> String { value.map { "\($0)" } ?? "-" }
    var interfaceOf: [String: String] = [:]
    for uplink in uplinks { interfaceOf[text(uplink["name"])] = text(uplink["interface"]) }
    var lines: [String] = []
    for network in root["guestNetworks"] as? [[String: Any]] ?? [] {
      let allowed = (network["uplinks"] as? [Any] ?? []).map { interfaceOf[text($0)] ?? text($0) }.sorted()
      lines.append(
        "guest network \(text(network["bridge"])) gateway \(text(network["gateway"])) "
          + "mtu \(text(network["mtu"] ?? 1500)) uplinks \(allowed.joined(separator: ","))")
    }
    for uplink in uplinks {
      let peers = (uplink["peers"] as? [[String: Any]] ?? []).map { "\(text($0["subnet"])) via \(text($0["via"]))" }
      var line = "uplink \(text(uplink["interface"])) \(text(uplink["mode"])) layer \(text(uplink["layer"] ?? 2))"
      if !peers.isEmpty { line += " peers \(peers.sorted().joined(separator: ", "))" }
      lines.append(line)
    }
    return lines.sorted()
  }
}
