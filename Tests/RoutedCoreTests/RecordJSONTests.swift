import Foundation
import Testing

@testable import RoutedCore

@Suite struct RecordJSONTests {
  @Test(arguments: ["web01.xml", "app02-two-networks.xml", "nometa.xml"])
  func recordsRoundTrip(fixture: String) throws {
    let record = try #require(
      try Planner.plan(
        .apply, domain: try Fixture.domain(fixture), config: Fixture.config, records: [], facts: Fixture.facts
      )
      .record)
    let text = RecordJSON.text(record)
    #expect(RecordJSON.record(Array(text.utf8)) == record)
    // Foundation's parser reads the same document: the format is plain JSON.
    #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
  }

  @Test func routesWithGatewaysAndOddCommentsRoundTrip() {
    let record = DomainRecord(
      domain: DomainIdentity(name: "we\"ird\\name\n", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c"),
      interfaces: [],
      objects: [
        .route(
          OwnedRoute(
            destination: IPv4Network("10.136.12.0/24")!, gateway: IPv4Address("172.31.56.2"), device: "hsi0",
            routeProtocol: 151)),
        .element(
          OwnedSet(table: .arpFilter, name: "answer_production", keyType: .address),
          SetElementKey(address: IPv4Address("10.136.11.5")!), comment: "ünï\u{1}"),
      ])
    #expect(RecordJSON.record(Array(RecordJSON.text(record).utf8)) == record)
  }

  @Test(arguments: ["", "{", "{\"domain\": {}}", "[1, 2", "{\"a\": 1} x", "nul", "{\"a\": \"\u{1}\"}"])
  func garbageIsNoRecord(text: String) {
    #expect(RecordJSON.record(Array(text.utf8)) == nil)
  }

  @Test func jsonReaderAgreesWithFoundation() throws {
    let text = #"{"a": [1, 2.5, -3e2, true, false, null, "x\n\u00e9\"q\\"], "b": {}, "c": []}"#
    let ours = try #require(JSON.parse(Array(text.utf8)))
    #expect(ours["a"]?.array?.count == 7)
    #expect(ours["a"]?.array?[6].string == "x\né\"q\\")
    #expect(ours["a"]?.array?[2].number == -300)
    #expect(JSON.parse(Array(ours.text().utf8)) == ours)
  }
}
