import Testing

@testable import LabKit

@Suite struct ResultTableTests {
  @Test func alignsColumnsAndCounts() {
    let rows = [
      TestRunner.Row(
        phase: "running", scenario: "I", name: "a → b", passed: true, measured: "ping 1/1", seconds: 0),
      TestRunner.Row(
        phase: "stop", scenario: "II", name: "arp", passed: false, measured: "answered by x", seconds: 0),
    ]
    #expect(
      ResultTable.render(rows) == """
        PHASE    SCN  EXPECTATION  RESULT  MEASURED
        running  I    a → b        pass    ping 1/1
        stop     II   arp          FAIL    answered by x

        1 passed, 1 failed, 2 rows
        """)
  }

  @Test func tokensSplitPrefixesOffAddresses() {
    let tokens = Probes.tokens("[{\"domain\":\"guest11a\",\"route\":\"10.136.11.5/32\"}]")
    #expect(tokens.contains("guest11a"))
    #expect(tokens.contains("10.136.11.5"))
    #expect(!tokens.contains("10.136.11.50"))
  }
}
