import Testing

@testable import LabKit

@Suite struct OwnershipTests {
  @Test func unrecordedPrefixedNamespaceIsForeign() {
    let problems = Ownership.foreignObjects(
      namespaces: ["rl-seed-lpar11", "rl-other-x", "rhk-probe", "plain"], rootLinks: [],
      recorded: ["rl-seed-lpar11"], labs: ["seed"])
    #expect(problems == ["namespace rl-other-x has the lab prefix 'rl-' but no lab recorded it"])
  }

  @Test func rootLinkWithAnUnknownLabsAltnameIsForeign() {
    let links = [
      LinkInventory.Link(name: "eth0"),
      LinkInventory.Link(name: "stray", altnames: ["rl.seed.lpar11.osa10"]),
      LinkInventory.Link(name: "odd", altnames: ["rl.gone.x.y", "something"]),
    ]
    let problems = Ownership.foreignObjects(namespaces: [], rootLinks: links, recorded: [], labs: ["seed"])
    #expect(
      problems == ["link odd in the root namespace carries lab altname rl.gone.x.y but no lab recorded it"])
  }
}
