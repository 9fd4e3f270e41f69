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
    #expect(answers.description.hasSuffix("two at once for 2 (over 20 ms)"))
  }

  @Test func oneAnswerAtATimeIsNeverTwo() {
    let lines = [Self.request("1.0"), Self.reply("1.001", "aa:00:00:00:00:11"), Self.request("1.02")]
    let answers = ARPWatch.answers(
      node: "observer", tcpdump: lines.joined(separator: "\n"), address: "10.136.11.6")
    #expect(answers.doubleAnswered == 0)
    #expect(answers.description == "observer ARP: 1/2 answered, by aa:00:00:00:00:11; never two at once")
  }
}
