// Fuzz target: the config loader (libyaml, the composer, field parsing, validation), then the planner on it.
@testable import RoutedCore

private let domain = try! DomainXML.parse(
  Array(
    """
    <domain type='kvm'><name>web01</name><uuid>6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c</uuid>
    <metadata><rh:guest xmlns:rh="urn:routed-hook:1"><rh:interface mac="52:54:00:11:00:05" address="10.136.11.5"/></rh:guest></metadata>
    <devices><interface type='bridge'><mac address='52:54:00:11:00:05'/><source bridge='br-ex'/></interface></devices>
    </domain>
    """.utf8))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let config = try? ConfigLoader.load(bytes: bytes, file: "fuzz.yaml") else { return 0 }
  // The unmanaged shortcut skips the config only when it cannot have `domains:`.
  if !config.domains.isEmpty && !UnmanagedShortcut.contains(bytes, "domains")
    && !UnmanagedShortcut.contains(bytes, "\\")
  {
    fatalError("a config with domains that the unmanaged shortcut would not parse")
  }
  for name in config.guestNetworks.map(\.bridge) + config.uplinks.map(\.interface) {
    if Names.problem(withInterface: name) != nil { fatalError("an invalid interface name was accepted") }
  }
  if let plan = try? Planner.plan(.apply, domain: domain, config: config, records: [], facts: HostFacts()) {
    _ = PlanText.render(plan)
  }
  return 0
}
