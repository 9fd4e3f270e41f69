import Foundation
import HookRuntime
@testable import RoutedCore

/// The test driver host and its config, shipped with the test target.
enum Fixture {
  static func path(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
  }

  /// libvirt's test driver reading our node file: `test:///ABSOLUTE/PATH`.
  static var uri: String { "test://" + path("testnode.xml") }

  static var config: HostConfig {
    let yaml = try! String(contentsOfFile: path("routed-hook.yaml"), encoding: .utf8)
    return try! ConfigLoader.load(yaml: yaml, file: "routed-hook.yaml")
  }

  /// The testbed host: both uplinks and the bridge exist; the uplinks hold the host's addresses.
  static let facts = HostFacts(addresses: [
    "br-ex": [], "osa10": [IPv4Interface("10.131.11.254/8")!], "osa172": [IPv4Interface("172.18.0.11/15")!],
  ])

  /// The record the hook would have written for a running domain of the listing.
  static func record(of domain: ActiveDomain) throws -> DomainRecord {
    let interfaces = try GuestResolver.managedInterfaces(of: domain.description!, config: config)
    return DomainRecord(
      domain: domain.identity, interfaces: interfaces,
      objects: Planner.guestObjects(for: interfaces, domain: domain.identity, config: config))
  }

  /// The record of a domain that is not in the listing (read from the node file as the hook once saw it).
  static func record(name: String, uuid: String, mac: String, address: String) -> DomainRecord {
    let interface = ManagedInterface(
      mac: MACAddress(mac)!, address: IPv4Address(address)!, network: "guests", bridge: "br-ex",
      uplinks: ["production", "intranet"])
    let identity = DomainIdentity(name: name, uuid: uuid)
    return DomainRecord(
      domain: identity, interfaces: [interface],
      objects: Planner.guestObjects(for: [interface], domain: identity, config: config))
  }
}

/// Actions as short lines, so a test can state the whole plan exactly.
func lines(_ plan: ReconcilePlan) -> [String] {
  plan.actions.map { action in
    switch action {
    case .removeRecord(let record): "remove \(record.domain.name)"
    case .removeOrphan(let object): "orphan \(PlanText.objectText(object))"
    case .restoreBaseline(let missing): "baseline \(missing.count) missing"
    case .apply(let domain, let reason): "apply \(domain.identity.name) \(reason)"
    }
  }
}
