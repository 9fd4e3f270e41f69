import Foundation
import Testing

@testable import RoutedKernel

/// Every hook op, host up/down and reconcile as one whole transaction, without root: a kernel that answers
/// each GET from a transcript recorded on a real kernel, in the order the op asks, and checks that every
/// datagram the op sends and every sysctl it writes is the recorded one, byte for byte.
///
/// To record anew (root; after a change that is meant to change the bytes):
/// `ROUTED_HOOK_RECORD_TRANSCRIPTS=1 swift test --filter WholeTransactionTests/record`.
@Suite struct WholeTransactionTests {
  @Test(arguments: GoldenScenario.ops.indices)
  func op(_ index: Int) throws {
    let scenario = try GoldenScenario()
    defer { scenario.remove() }
    // The ops before it, replayed, leave the records it starts from.
    for step in 0...index {
      let fixture = try GoldenScenario.load(step)
      let log = TranscriptLog(fixture.transcript.events)
      let result = scenario.run(step) { .replaying(log) }
      let name = GoldenScenario.ops[step].name
      #expect(log.divergence == nil, "\(name): \(log.divergence ?? "")")
      #expect(
        log.position == log.events.count, "\(name): stopped at event \(log.position) of \(log.events.count)")
      #expect(result == fixture.result, "\(name)")
    }
  }

  @Test(
    .enabled(
      if: ProcessInfo.processInfo.environment["ROUTED_HOOK_RECORD_TRANSCRIPTS"] == "1" && getuid() == 0))
  func record() throws {
    let host = try GoldenHost()
    defer { host.remove() }
    let scenario = try GoldenScenario()
    defer { scenario.remove() }
    for (index, op) in GoldenScenario.ops.enumerated() {
      if !op.beforeRecording.isEmpty {
        try GoldenHost.run(["ip", "netns", "exec", host.name] + op.beforeRecording)
      }
      let log = TranscriptLog()
      let result = scenario.run(index) { try .recording(namespace: host.name, log: log) }
      try GoldenScenario.save(index, result: result, transcript: Transcript(events: log.events))
    }
  }
}
