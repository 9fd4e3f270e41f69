@testable import RoutedCore
import Testing

/// The use cases' record decisions, without a state directory.
@Suite struct RecordPolicyTests {
  static let web01 = DomainIdentity(name: "web01", uuid: "6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c")

  static func record(_ addresses: [String], objects: [KernelObject]) -> DomainRecord {
    DomainRecord(
      domain: web01,
      interfaces: addresses.enumerated().map { index, address in
        ManagedInterface(
          mac: MACAddress("52:54:00:11:00:0\(index)")!, address: IPv4Address(address)!, network: "guests",
          bridge: "br-ex", uplinks: ["production"])
      }, objects: objects)
  }

  @Test(
    arguments: [
      ("a first start writes its intent", nil, ["1"], ["1"]),
      ("a restart with the same objects writes nothing", ["1"], ["1"], nil),
      (
        "a changed start keeps the old objects until they are removed", ["1", "2"], ["3", "1"],
        ["2", "3", "1"]
      ),
    ] as [(String, [String]?, [String], [String]?)])
  func writeAhead(_ name: String, existing: [String]?, intent: [String], written: [String]?) {
    /// A /32 route per last octet.
    func objects(_ octets: [String]) -> [KernelObject] {
      octets.map {
        .route(
          OwnedRoute(destination: .host(IPv4Address("10.136.11.\($0)")!), device: "br-ex", routeProtocol: 151)
        )
      }
    }
    let ahead = RecordPolicy.writeAhead(
      Self.record(["10.136.11.5"], objects: objects(intent)),
      existing: existing.map { Self.record(["10.136.11.5"], objects: objects($0)) })
    #expect(ahead?.objects == written.map(objects), "\(name)")
  }

  @Test func otherHoldersAreEachReadOnceAndNeverTheDomainItself() {
    #expect(RecordPolicy.otherHolders(["b", nil, "self", "a", "b"], except: "self") == ["b", "a"])
  }

  @Test func releasedAddressesAreThoseTheNewRecordNoLongerHas() {
    let old = Self.record(["10.136.11.5", "10.136.11.6"], objects: [])
    #expect(
      RecordPolicy.released(old: old, new: Self.record(["10.136.11.6"], objects: []))
        == [.v4(IPv4Address("10.136.11.5")!)])
    #expect(RecordPolicy.released(old: old, new: nil).count == 2)
    #expect(RecordPolicy.released(old: nil, new: old) == [])
  }

  @Test func hostDownIsRefusedWhileGuestsAreRouted() {
    #expect(RecordPolicy.hostDownRefusal([]) == nil)
    var other = Self.record([], objects: [])
    other.domain.name = "app02"
    #expect(
      RecordPolicy.hostDownRefusal([Self.record([], objects: []), other])?.description
        == "2 guest(s) still routed here (app02, web01); stop them first")
    // `host down` refuses; the network hook's `stopped` leaves the baseline up and says nothing.
    let refusal = DomainError("2 guest(s) still routed here (app02, web01); stop them first")
    #expect(RecordPolicy.hostDown([], whenUnused: false) == .proceed)
    #expect(RecordPolicy.hostDown([], whenUnused: true) == .proceed)
    #expect(RecordPolicy.hostDown([Self.record([], objects: []), other], whenUnused: false) == .refuse(refusal))
    #expect(RecordPolicy.hostDown([Self.record([], objects: []), other], whenUnused: true) == .keep)
  }

  @Test func aBaselineNeedsEveryGuestBridge() {
    var facts = Fixture.facts
    facts.addresses["br-ex"] = nil
    #expect(throws: DomainError("bridge br-ex does not exist on this host")) {
      try RecordPolicy.checkHost(config: Fixture.config, facts: facts)
    }
    #expect(throws: Never.self) { try RecordPolicy.checkHost(config: Fixture.config, facts: Fixture.facts) }
  }
}
