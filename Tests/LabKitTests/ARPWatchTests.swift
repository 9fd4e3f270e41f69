import Testing

@testable import LabKit

/// The migration drill's ARP watch reads tcpdump's lines: which MACs answered each of the observer's
/// requests, and how many requests two hosts answered at once.
@Suite struct ARPWatchTests {
  static func request(_ time: String) -> String {
    "\(time) 02:00:00:00:00:30 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.136.11.6 tell 10.0.0.30, length 28"
  }

  static func reply(_ time: String, _ mac: String) -> String {
    "\(time) \(mac) > 02:00:00:00:00:30, ethertype ARP (0x0806), length 42: Reply 10.136.11.6 is-at \(mac), length 28"
  }

  @Test func aHandoverFromOneHostToTheOtherWithTwoAnswersInBetween() {
    let source = "aa:00:00:00:00:11"
    let destination = "aa:00:00:00:00:12"
    let lines = [
      Self.request("100.00"), Self.reply("100.001", source),
      Self.request("100.02"),  // the switchover: nobody answers
      Self.request("100.04"), Self.reply("100.041", destination), Self.reply("100.042", source),
      // the destination's gratuitous ARP is no request of the observer's
      "100.05 \(destination) > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60: Request who-has 10.136.11.6 tell 10.136.11.6, length 46",
      Self.request("100.06"), Self.reply("100.061", source), Self.reply("100.062", destination),
      Self.request("100.08"), Self.reply("100.081", destination),
      "100.09 02:00:00:00:00:30 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.136.11.7 tell 10.0.0.30, length 28",
    ]
    let answers = ARPWatch.answers(
      node: "observer", tcpdump: lines.joined(separator: "\n"), address: "10.136.11.6")
    #expect(answers.requests == 5)
    #expect(answers.answered == 4)
    #expect(answers.macs == [source, destination])
    #expect(answers.doubleAnswered == 2)
    #expect(abs(answers.doubleSpan - 0.02) < 0.0001)
    #expect(answers.description.hasSuffix("2 answered by two at once (over 20 ms); gap 20 ms (1 requests unanswered)"))
    #expect(abs(answers.longestGap - 0.02) < 0.0001)
  }

  @Test func oneAnswerAtATimeIsNeverTwo() {
    let lines = [Self.request("1.0"), Self.reply("1.001", "aa:00:00:00:00:11"), Self.request("1.02")]
    let answers = ARPWatch.answers(
      node: "observer", tcpdump: lines.joined(separator: "\n"), address: "10.136.11.6")
    #expect(answers.doubleAnswered == 0)
    // The last request is unanswered, but no answer follows: the watch ended, that is no gap.
    #expect(answers.description == "observer ARP: 1/2 answered, by aa:00:00:00:00:11; 0 answered by two at once; no gap")
  }

  /// The handover as it should be: the source withdraws, nobody answers while the guest moves, then only the
  /// destination. The gap is measured from the first unanswered request to the next answered one.
  @Test func aWithdrawalBeforeTheResumeLeavesAGapAndNeverTwo() {
    let source = "aa:00:00:00:00:11"
    let destination = "aa:00:00:00:00:12"
    let lines = [
      Self.request("5.00"), Self.reply("5.001", source),
      Self.request("5.02"), Self.reply("5.021", source),
      Self.request("5.04"), Self.request("5.06"), Self.request("5.08"),  // withdrawn, not resumed yet
      Self.request("5.10"), Self.reply("5.101", destination),
      Self.request("5.12"),  // one lost on the LAN: a gap of its own, shorter
      Self.request("5.14"), Self.reply("5.141", destination),
    ]
    let answers = ARPWatch.answers(node: "observer", tcpdump: lines.joined(separator: "\n"), address: "10.136.11.6")
    #expect(answers.doubleAnswered == 0)
    #expect(answers.macs == [source, destination])
    #expect(abs(answers.longestGap - 0.06) < 0.0001)
    #expect(answers.gapRequests == 3)
    #expect(answers.description == "observer ARP: 4/8 answered, by \(source) then \(destination); 0 answered by two at once; gap 60 ms (3 requests unanswered)")
  }
}

/// The migration drill's neighbour watch reads `ip -ts monitor neigh dev eth0`: when a LAN node's entry for the
/// guest moved to the destination's MAC, relative to the resume.
@Suite struct NeighbourWatchTests {
  static let text = """
    [2026-12-03T13:06:50.100000] 10.136.11.6 lladdr aa:00:00:00:00:11 REACHABLE 
    [2026-12-03T13:06:50.300000] 10.136.11.6 lladdr aa:00:00:00:00:11 STALE 
    [2026-12-03T13:06:50.350000] 10.136.11.5 lladdr aa:00:00:00:00:11 REACHABLE 
    [2026-12-03T13:06:50.420000] 10.136.11.6 lladdr AA:00:00:00:00:12 STALE 
    [2026-12-03T13:06:50.500000] 10.136.11.6 lladdr aa:00:00:00:00:12 REACHABLE 
    """

  @Test func theEntryMovesToTheDestinationAfterTheResume() throws {
    let changes = NeighbourWatch.changes(Self.text, address: "10.136.11.6")
    #expect(changes.map(\.mac) == ["aa:00:00:00:00:11", "aa:00:00:00:00:11", "aa:00:00:00:00:12", "aa:00:00:00:00:12"])
    #expect(changes.map(\.state) == ["REACHABLE", "STALE", "STALE", "REACHABLE"])
    let resume = changes[1].time.addingTimeInterval(0.02)  // 13:06:50.320
    let delay = try #require(NeighbourWatch.delay(changes, to: "aa:00:00:00:00:12", after: resume))
    #expect(abs(delay - 0.1) < 0.001)
    // Never on the destination, or back on the source at the end: no delay to show.
    #expect(NeighbourWatch.delay(changes, to: "aa:00:00:00:00:13", after: resume) == nil)
    #expect(NeighbourWatch.delay(Array(changes.prefix(2)), to: "aa:00:00:00:00:12", after: resume) == nil)
  }

  @Test func aDeletedEntryHasNoMAC() {
    let changes = NeighbourWatch.changes(
      "[2026-12-03T13:06:51.000000] Deleted 10.136.11.6 lladdr aa:00:00:00:00:12 STALE \n", address: "10.136.11.6")
    #expect(changes.count == 1 && changes[0].mac == nil && changes[0].state == "DELETED")
  }
}
