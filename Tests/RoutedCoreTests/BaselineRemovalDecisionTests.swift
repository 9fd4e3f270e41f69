@testable import RoutedCore
import Testing

/// `host down`'s decision and the presence check, from views: no kernel needed.
@Suite struct BaselineRemovalDecisionTests {
  typealias Fixture = ApplyDecisionTests
  static let peer = OwnedRoute(
    destination: IPv4Network("10.136.12.0/24")!, gateway: IPv4Address("172.31.56.2")!, device: "osa10",
    routeProtocol: 151)

  @Test func routesFirstThenOneDeletingTransactionThenOurAddressOnly() {
    var view = Fixture.readyView
    view.routes = [
      KernelRouteLookup(
        destination: Self.peer.destination,
        route: KernelRoute(
          destination: Self.peer.destination, gateway: Self.peer.gateway, outputIndex: 4, routeProtocol: 151))
    ]
    let foreign = IPv4Interface("10.136.11.253/24")!
    view.addresses.append(KernelAddress(index: 3, address: foreign, routeProtocol: 0))
    let objects =
      Fixture.baseline + [
        .route(Self.peer), .address(interface: "br-ex", .v4(foreign), routeProtocol: 151),
      ]
    let changes = BaselineRemovalDecision.decide(objects, view: view)
    #expect(
      changes.steps.map(Fixture.describe) == [
        "route delete 10.136.12.0/24 via 172.31.56.2 dev osa10 proto 151 #4",
        "nft [-table inet routed_hook]",
        "address delete 10.136.11.254/24 dev br-ex proto 151",
      ])
    // The sets and chain go with their table; link and sysctl stay; the foreign address is not ours.
    #expect(changes.report.removed.count == 6)
    #expect(changes.report.unchanged == 3)
  }

  @Test func partsOfATableThatStaysGoRuleByRuleAndSetsLast() {
    var view = Fixture.readyView
    view.tables = [.filter]
    let changes = BaselineRemovalDecision.decide(
      [.set(Fixture.egress), .chain(Fixture.forward)], view: view)
    #expect(
      changes.steps.map(Fixture.describe) == [
        "nft [-rule forward #7, -rule forward #8, -chain forward, -set inet routed_hook egress]"
      ])
  }

  @Test func presenceComparesEachObjectWithTheView() {
    let view = Fixture.withGuest(Fixture.readyView, "web01", "10.136.11.5")
    let objects =
      Fixture.baseline + Fixture.guest("web01", "10.136.11.5") + Fixture.guest("web02", "10.136.11.6")
    let present = PresenceCheck.present(objects, view: view)
    #expect(present == Set(Fixture.baseline + Fixture.guest("web01", "10.136.11.5")))
  }

  @Test func ownedGuestObjectsLeaveHostElementsAndWiderRoutesOut() {
    let host = KernelElement(
      set: Fixture.guests, key: SetElementKey(address: IPv4Address("10.136.11.254")!), comment: "host")
    let guest = KernelElement(
      set: Fixture.guests, key: SetElementKey(address: IPv4Address("10.136.11.5")!), comment: "web01")
    let routes = [
      KernelRoute(
        destination: IPv4Network("10.136.11.5/32")!, gateway: nil, outputIndex: 3, outputName: "br-ex",
        routeProtocol: 151),
      KernelRoute(
        destination: Self.peer.destination, gateway: Self.peer.gateway, outputIndex: 4, outputName: "osa10",
        routeProtocol: 151),
    ]
    #expect(
      PresenceCheck.ownedGuestObjects(elements: [host, guest], routes: routes, routeProtocol: 151)
        == [Fixture.guest("web01", "10.136.11.5")[0], Fixture.guest("web01", "10.136.11.5")[2]])
  }
}
