import Foundation
import RoutedCore

@testable import RoutedKernel

/// One hook op's whole exchange with the kernel, in order: each datagram sent and received on either netlink
/// bus, each sysctl read and written, each interface lookup. Recorded from a real kernel in a throwaway
/// namespace; replayed without root, where every outgoing byte must match.
struct Transcript: Equatable {
  enum Bus: String { case rtnetlink, nfnetlink }

  enum Event: Equatable {
    case sent(Bus, [UInt8])
    case received(Bus, [UInt8])
    case sysctlRead(String, Int?)
    case sysctlWrite(String, Int)
    case interfaces(asked: [String], existing: [String])
    /// A gratuitous ARP sent: interface, address, and the ARP sender's MAC (`-` for the interface's own).
    case announce(String, String, String)

    /// Whether the op caused it (the golden part) rather than the kernel answering.
    var isOutgoing: Bool {
      switch self {
      case .sent, .sysctlWrite, .announce: true
      default: false
      }
    }
  }

  var events: [Event] = []

  /// One line per event: `rtnetlink > HEX`, `nfnetlink < HEX`, `sysctl? PATH VALUE|-`, `sysctl! PATH VALUE`,
  /// `interfaces? A,B -> A`; each sent datagram is preceded by a comment naming its messages.
  var text: String {
    events.map { event -> String in
      switch event {
      case .sent(let bus, let bytes):
        "# \(Self.describe(bus, bytes))\n\(bus.rawValue) > \(Self.hex(bytes))"
      case .received(let bus, let bytes): "\(bus.rawValue) < \(Self.hex(bytes))"
      case .sysctlRead(let path, let value): "sysctl? \(path) \(value.map(String.init) ?? "-")"
      case .sysctlWrite(let path, let value): "sysctl! \(path) \(value)"
      case .interfaces(let asked, let existing):
        "interfaces? \(asked.joined(separator: ",")) -> \(existing.joined(separator: ","))"
      case .announce(let interface, let address, let sender): "garp! \(interface) \(address) \(sender)"
      }
    }.joined(separator: "\n") + "\n"
  }

  init(events: [Event] = []) { self.events = events }

  init(text: String) throws {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
      switch (words.first, words.count) {
      case ("sysctl?", 3): events.append(.sysctlRead(words[1], Int(words[2])))
      case ("sysctl!", 3): events.append(.sysctlWrite(words[1], Int(words[2])!))
      case ("garp!", 4): events.append(.announce(words[1], words[2], words[3]))
      case ("interfaces?", 4):
        func names(_ word: String) -> [String] { word.split(separator: ",").map(String.init) }
        events.append(.interfaces(asked: names(words[1]), existing: names(words[3])))
      case (let busName?, 3):
        guard let bus = Bus(rawValue: busName) else { throw TranscriptError("bad line: \(line)") }
        let bytes = try Self.bytes(words[2])
        events.append(words[1] == ">" ? .sent(bus, bytes) : .received(bus, bytes))
      default: throw TranscriptError("bad line: \(line)")
      }
    }
  }

  /// The lines of what the op caused, for a readable comparison.
  var outgoing: [String] {
    Transcript(events: events.filter(\.isOutgoing)).text.split(separator: "\n").map(String.init)
  }

  static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

  static func bytes(_ hex: String) throws -> [UInt8] {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { throw TranscriptError("odd hex length") }
    return try stride(from: 0, to: digits.count, by: 2).map { index in
      guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
        throw TranscriptError("bad hex")
      }
      return byte
    }
  }

  /// `RTM_GETLINK, RTM_GETLINK` or `batch: NEWSETELEM ×6`: the message types of a datagram.
  static func describe(_ bus: Bus, _ datagram: [UInt8]) -> String {
    let types = NetlinkMessage.split(datagram).map(\.type)
    let names = types.map { type -> String in
      switch bus {
      case .rtnetlink: rtnetlinkNames[Int(type)] ?? "type \(type)"
      case .nfnetlink:
        type == 0x10 ? "BEGIN" : type == 0x11 ? "END" : nftNames[Int(type & 0xff)] ?? "type \(type)"
      }
    }
    var parts: [String] = []
    for name in names {
      if let last = parts.last, last.hasPrefix(name + " ×") || last == name {
        let count = (Int(last.split(separator: "×").last ?? "1") ?? 1) + 1
        parts[parts.count - 1] = "\(name) ×\(count)"
      } else {
        parts.append(name)
      }
    }
    return parts.joined(separator: ", ")
  }

  static let rtnetlinkNames = [
    16: "NEWLINK", 18: "GETLINK", 20: "NEWADDR", 21: "DELADDR", 22: "GETADDR", 24: "NEWROUTE", 25: "DELROUTE",
    26: "GETROUTE",
  ]
  static let nftNames = [
    0: "NEWTABLE", 1: "GETTABLE", 2: "DELTABLE", 3: "NEWCHAIN", 4: "GETCHAIN", 5: "DELCHAIN", 6: "NEWRULE",
    7: "GETRULE", 8: "DELRULE", 9: "NEWSET", 10: "GETSET", 11: "DELSET", 12: "NEWSETELEM", 13: "GETSETELEM",
    14: "DELSETELEM",
  ]
}

struct TranscriptError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
