import Foundation
import RoutedCore

/// An independent look at who answers ARP for a migrating guest on a LAN: one node asks every 20 ms (a
/// broadcast request from a raw socket) while tcpdump on the same interface records every request and reply
/// with its time. A request
/// answered by two MACs is a moment when two hosts claim the guest.
struct ARPWatch {
  let names: LabNames

  static let interval = 0.02

  /// Broadcast ARP requests for an address every `interval` seconds for a while from an interface (arping's
  /// `-i` takes whole seconds only); the replies are left to tcpdump.
  static let asker = """
    import socket, struct, sys, time
    name, source, target = sys.argv[1], socket.inet_aton(sys.argv[2]), socket.inet_aton(sys.argv[3])
    end, interval = time.time() + float(sys.argv[4]), float(sys.argv[5])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((name, 0x0806))
    mac = s.getsockname()[4]
    frame = (b"\\xff" * 6 + mac + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + source
             + bytes(6) + target)
    while time.time() < end:
        s.send(frame)
        time.sleep(interval)
    """

  /// What the node saw: how many of its requests were answered, by which MACs in order of first answer, and
  /// how many were answered by more than one MAC (with the span from the first to the last such request).
  struct Answers: CustomStringConvertible {
    var node: String
    var requests: Int
    var answered: Int
    var macs: [String]
    var doubleAnswered: Int
    var doubleSpan: Double
    /// The longest time requests went unanswered between two answered ones (the handover's gap: from the
    /// first unanswered request to the next answered one), and how many requests it spans.
    var longestGap: Double = 0
    var gapRequests = 0

    var description: String {
      let both =
        doubleAnswered == 0
        ? "0 answered by two at once"
        : "\(doubleAnswered) answered by two at once (over \(Int((doubleSpan * 1000).rounded())) ms)"
      let gap =
        gapRequests == 0
        ? "no gap" : "gap \(Int((longestGap * 1000).rounded())) ms (\(gapRequests) requests unanswered)"
      return "\(node) ARP: \(answered)/\(requests) answered, by \(macs.joined(separator: " then ")); \(both); \(gap)"
    }
  }

  /// Watches for `seconds` from `node`'s eth0 (whose address is `source`: a request from 0.0.0.0 is a
  /// duplicate-address probe, which proxy ARP never answers), asking for `address`.
  func watch(from node: String, source: IPv4Address, address: IPv4Address, seconds: Double) throws -> Answers {
    let namespace = names.namespace(node)
    // A thread of its own: GCD's pool, busy with the migration's blocking pings, would start it late.
    let asking = DispatchGroup()
    asking.enter()
    Thread {
      // tcpdump (below) needs a moment to bind before the first request.
      Thread.sleep(forTimeInterval: 0.5)
      _ = try? Command.run(
        [
          "ip", "netns", "exec", namespace, "python3", "-c", Self.asker, "eth0", source.description,
          address.description, "\(seconds)", "\(Self.interval)",
        ], timeout: seconds + 10)
      asking.leave()
    }.start()
    let capture = try Command.run(
      [
        "ip", "netns", "exec", namespace, "timeout", "-s", "INT", "\(Int(seconds.rounded(.up)) + 1)",
        "tcpdump", "-l", "-n", "-e", "-tt", "-i", "eth0", "arp",
      ], timeout: seconds + 10)
    asking.wait()
    return Self.answers(node: node, tcpdump: capture.stdout, address: address.description)
  }

  /// Parses `tcpdump -n -e -tt` lines: requests for `address` from this node, and replies `address is-at MAC`.
  static func answers(node: String, tcpdump: String, address: String) -> Answers {
    var requests: [Double] = []
    var replies: [(time: Double, mac: String)] = []
    for line in tcpdump.split(separator: "\n") {
      let words = line.split(separator: " ").map(String.init)
      guard let time = words.first.flatMap(Double.init) else { continue }
      if let at = words.firstIndex(of: "who-has"), words.indices.contains(at + 3), words[at + 1] == address,
        words[at + 3].trimmingCharacters(in: .punctuationCharacters) != address
      {
        requests.append(time)
      } else if let at = words.firstIndex(of: "is-at"), at > 0, words[at - 1] == address,
        words.indices.contains(at + 1)
      {
        replies.append((time, words[at + 1].trimmingCharacters(in: CharacterSet(charactersIn: ","))))
      }
    }
    var answers = Answers(
      node: node, requests: requests.count, answered: 0, macs: [], doubleAnswered: 0, doubleSpan: 0)
    var firstDouble: Double?
    var lastAnswered: Int?
    for (index, start) in requests.enumerated() {
      let end = index + 1 < requests.count ? requests[index + 1] : .infinity
      let macs = Set(replies.filter { $0.time >= start && $0.time < end }.map(\.mac))
      if !macs.isEmpty {
        answers.answered += 1
        // Only gaps between two answered requests: before the first answer the watch had only just begun.
        if let previous = lastAnswered, index - previous > 1 {
          let gap = start - requests[previous + 1]
          if gap > answers.longestGap {
            answers.longestGap = gap
            answers.gapRequests = index - previous - 1
          }
        }
        lastAnswered = index
      }
      for reply in replies where reply.time >= start && reply.time < end && !answers.macs.contains(reply.mac)
      {
        answers.macs.append(reply.mac)
      }
      if macs.count > 1 {
        answers.doubleAnswered += 1
        firstDouble = firstDouble ?? start
        answers.doubleSpan = start - firstDouble!
      }
    }
    return answers
  }
}
