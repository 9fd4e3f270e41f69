import RoutedCore
import Testing

/// A domain with no managed NIC is ignored whatever it lacks or contains; validation applies only to what
/// routed-hook would act on. Fixtures in `Fixtures/unmanaged/` (shapes from libvirt's own test suites) under
/// the example config, which has a `domains:` section, so nothing short-cuts the full parse.
@Suite struct UnmanagedDomainTests {
  let config = Fixture.config
  let facts = Fixture.facts

  static let unmanaged = [
    "test-driver-default", "lxc-no-uuid", "nics-elsewhere-no-uuid", "foreign-metadata",
    "broken-parts-elsewhere",
  ]

  @Test(arguments: unmanaged)
  func isIgnoredWhateverItLacks(_ name: String) throws {
    let domain = try Fixture.domain("unmanaged/\(name).xml")
    #expect(try GuestResolver.managedInterfaces(of: domain, config: config).isEmpty)
    for action in [HookAction.validate, .recheck, .apply, .reapply] {
      let plan = try Planner.plan(action, domain: domain, config: config, records: [], facts: facts)
      #expect(plan.isEmpty && plan.record == nil, "\(name), \(action)")
    }
  }

  @Test(arguments: [
    ("managed-no-uuid", "domain db01: <uuid> '' is not a UUID"),
    ("managed-bad-mac", "domain web09: <mac address='aa:ss:bb:cc:dd:ee'> is not a MAC address"),
    (
      "managed-broken-metadata",
      "domain web09: metadata <rh:interface>: address '10.136.11.900' of 52:54:00:11:00:09 is not an IPv4 address"
    ),
  ])
  func isRefusedOnceANICIsOnAGuestNetwork(_ name: String, message: String) throws {
    let domain = try Fixture.domain("unmanaged/\(name).xml")
    #expect(throws: DomainError(message)) { try GuestResolver.managedInterfaces(of: domain, config: config) }
    #expect(throws: DomainError(message)) {
      try Planner.plan(.validate, domain: domain, config: config, records: [], facts: facts)
    }
  }

  @Test func whatADomainLacksIsKeptForLaterNotThrown() throws {
    let bare = try Fixture.domain("unmanaged/test-driver-default.xml")
    #expect(bare.identity == DomainIdentity(name: "test", uuid: ""))
    #expect(bare.identityProblem == "domain test: <uuid> '' is not a UUID")
    #expect(bare.interfaces.isEmpty && bare.metadata == nil && bare.metadataProblem == nil)

    let nics = try Fixture.domain("unmanaged/nics-elsewhere-no-uuid.xml")
    #expect(
      nics.interfaces.map(\.type) == [
        "network", "user", "hostdev", "vhostuser", "direct", "mcast", "vdpa", "bridge",
      ])
    #expect(nics.interfaces[0].mac == nil && nics.interfaces[0].problem == nil, "libvirt fills in the MAC")
    #expect(nics.interfaces[0].sourceNetwork == "default")
    #expect(nics.interfaces[7].sourceBridge == "virbr0")

    let broken = try Fixture.domain("unmanaged/broken-parts-elsewhere.xml")
    #expect(broken.identityProblem == "domain db01: <uuid> 'c7a5fdbdedaf9455926ad65c16db1809' is not a UUID")
    #expect(
      broken.interfaces[0].problem == "domain db01: <mac address='aa:ss:bb:cc:dd:ee'> is not a MAC address")
    #expect(broken.interfaces[1].mac == MACAddress("52:54:00:11:00:07"))
    #expect(
      broken.metadataProblem
        == "domain db01: metadata <rh:interface>: address '10.136.11.700' of 52:54:00:11:00:07 is not an IPv4 address"
    )
    #expect(broken.metadata == nil)

    let noName = try DomainXML.parse(Array("<domain><devices/></domain>".utf8))
    #expect(noName.identityProblem == "domain XML has no <name>")
  }
}
