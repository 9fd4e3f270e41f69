import Foundation
import RoutedCore

/// The independent tools the lab measures with: ping, arping, `ip -j` counters, routes and nft rules.
/// None of them is routed-hook's code, so a bug in the hook cannot hide itself.
struct Probes {
  let names: LabNames

  /// What a run of ping saw.
  struct PingResult {
    var sent: Int
    var received: Int
    /// The first error line ping printed (e.g. "Frag needed and DF set (mtu = 1500)"), if any.
    var error: String?
  }

  /// Pings until `count` replies arrive or `deadline` seconds pass; the deadline absorbs first-packet ARP
  /// resolution, including the kernel's random proxy-ARP delay of up to 0.8 s. `pmtu` is ping's `-M`:
  /// "do" sets DF, "dont" lets every hop fragment (ping's default sets DF once the payload is large).
  func ping(
    from node: String, to address: IPv4Address, count: Int = 1, interval: String = "0.2", size: Int? = nil,
    pmtu: String? = nil, deadline: Int = 3
  ) throws -> PingResult {
    var argv = [
      "ip", "netns", "exec", names.namespace(node), "ping", "-n", "-c", "\(count)", "-i", interval, "-w",
      "\(deadline)",
    ]
    if let size { argv += ["-s", "\(size)"] }
    if let pmtu { argv += ["-M", pmtu] }
    argv.append(address.description)
    let result = try Command.run(argv, timeout: Double(deadline) + 5)
    // stderr first: a cached path MTU makes ping fail locally ("message too long") on stderr.
    let text = result.stderr + "\n" + result.stdout
    let sent = Self.number(before: " packets transmitted", in: text) ?? 0
    let received = Self.number(before: " received", in: text) ?? 0
    let errorLine = text.split(separator: "\n").first { line in
      guard !line.contains("packets transmitted") else { return false }
      return line.hasPrefix("From ") || line.contains("error") || line.contains("Unreachable")
        || line.contains("too long")
    }.map { String($0).trimmingCharacters(in: .whitespaces) }
    return PingResult(sent: sent, received: received, error: errorLine)
  }

  /// MACs that answered an arping for `address` sent out of `interface` within two seconds
  /// (long enough for the kernel's random proxy-ARP delay of up to 0.8 s). Every probe is a broadcast (`-b`):
  /// arping otherwise turns to unicast after the first reply, and a slower second claimant never hears it.
  func arping(from node: String, interface: String, address: IPv4Address) throws -> [String] {
    let result = try Command.run(
      [
        "ip", "netns", "exec", names.namespace(node), "arping", "-b", "-w", "2", "-I", interface,
        address.description,
      ],
      timeout: 10)
    var macs: [String] = []
    for line in result.stdout.split(separator: "\n") where line.contains("reply from") {
      if let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), open < close {
        let mac = line[line.index(after: open)..<close].lowercased()
        if !macs.contains(mac) { macs.append(mac) }
      }
    }
    return macs
  }

  /// rx + tx packets of one interface, from `ip -j -s link`.
  func packets(node: String, interface: String) throws -> Int {
    let output = try Command.check([
      "ip", "-n", names.namespace(node), "-j", "-s", "link", "show", "dev", interface,
    ])
    guard let stats = JSON(tool: output)?.items.first?["stats64"], let rx = stats["rx"]?["packets"]?.int,
      let tx = stats["tx"]?["packets"]?.int
    else { throw LabError("no counters for \(node).\(interface)") }
    return rx + tx
  }

  /// Receive and transmit errors and drops of one interface (all the kernel's error counters summed).
  func errorsAndDrops(node: String, interface: String) throws -> Int {
    let output = try Command.check([
      "ip", "-n", names.namespace(node), "-j", "-s", "-s", "link", "show", "dev", interface,
    ])
    guard let stats = JSON(tool: output)?.items.first?["stats64"] else {
      throw LabError("no counters for \(node).\(interface)")
    }
    var total = 0
    for direction in ["rx", "tx"] {
      for (key, value) in stats[direction]?.members ?? []
      where key.contains("error") || key.contains("drop") || key == "over_errors" {
        total += value.int ?? 0
      }
    }
    return total
  }

  func mac(node: String, interface: String) -> String? {
    LinkInventory.links(namespace: names.namespace(node)).first { $0.name == interface }?.mac?.lowercased()
  }

  /// Routes in any table of a node whose destination is exactly `address` (as /32 or bare).
  func routes(node: String, to address: IPv4Address) throws -> [String] {
    let output = try Command.check(["ip", "-n", names.namespace(node), "-j", "route", "show", "table", "all"])
    return (JSON(tool: output)?.items ?? []).compactMap { route in
      guard let dst = route["dst"]?.string, dst == address.description || dst == "\(address)/32",
        // A routing daemon's route (BGP learned the address from the host the guest runs on now) is not a
        // trace the hook left.
        !["bird", "bgp"].contains(route["protocol"]?.string ?? "")
      else {
        return nil
      }
      return "\(dst) dev \(route["dev"]?.string ?? "?")"
    }
  }

  /// Proxy-ARP neighbour entries for `address` in a node.
  func proxyNeighbours(node: String, address: IPv4Address) throws -> Int {
    let output = try Command.check(["ip", "-n", names.namespace(node), "-j", "neigh", "show", "proxy"])
    return (JSON(tool: output)?.items ?? []).filter { $0["dst"]?.string == address.description }.count
  }

  /// The node's whole nft ruleset as JSON text.
  func nftRuleset(node: String) throws -> String {
    try Command.check(["ip", "netns", "exec", names.namespace(node), "nft", "-j", "list", "ruleset"])
  }

  /// Words of a JSON or text output, split so that `10.136.11.5/32` yields `10.136.11.5`.
  static func tokens(_ text: String) -> Set<String> {
    Set(
      text.split { character in
        !(character.isLetter || character.isNumber || character == "." || character == ":" || character == "-"
          || character == "_")
      }.map(String.init))
  }

  static func number(before marker: String, in text: String) -> Int? {
    guard let range = text.range(of: marker) else { return nil }
    let digits = text[..<range.lowerBound].reversed().prefix { $0.isNumber }
    return Int(String(digits.reversed()))
  }
}
