import Foundation

/// The host the transcripts were recorded on: a throwaway namespace (`rhk-golden-…`) with the golden config's
/// bridge and uplinks as veths with the talk's addresses. Only for recording; always removed.
final class GoldenHost {
  let name = "rhk-golden-\(UUID().uuidString.prefix(8).lowercased())"

  init() throws {
    try Self.run(["ip", "netns", "add", name])
    do {
      try ip("link", "set", "lo", "up")
      try ip("link", "add", "br-ex", "type", "bridge")
      for (link, address) in [
        ("osa10", "10.131.11.254/24"), ("hsi0", "172.31.56.1/24"), ("osa172", "172.18.0.11/15"),
      ] {
        try ip("link", "add", link, "type", "veth", "peer", "name", "\(link)p")
        try ip("link", "set", link, "up")
        try ip("link", "set", "\(link)p", "up")
        try ip("address", "add", address, "dev", link)
      }
      for (link, address) in [
        ("osa10", "fd00:10::131:11:254/64"), ("hsi0", "fd00:31:56::1/64"), ("osa172", "fd00:172:18::11/64"),
      ] {
        try ip("-6", "address", "add", address, "dev", link, "nodad")
      }
    } catch {
      remove()
      throw error
    }
  }

  func ip(_ arguments: String...) throws { try Self.run(["ip", "-n", name] + arguments) }

  func exec(_ arguments: String...) throws { try Self.run(["ip", "netns", "exec", name] + arguments) }

  func remove() { try? Self.run(["ip", "netns", "delete", name]) }

  static func run(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw TranscriptError("\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
  }
}
