import Foundation
import RoutedCore
import Testing

/// `routed-hook bird-config` for the shipped fleet examples, byte for byte against reviewed copies in
/// Fixtures/bird: a change to BIRD's config shows up as a diff of these files. (That BIRD accepts them is
/// `BirdConfigProcessTests`, with `bird -p`.) To accept a deliberate change, copy the file the failure names.
@Suite struct BirdConfigGoldenTests {
  static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../examples").standardized

  static func config(_ name: String) throws -> HostConfig {
    let text = try String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)
    return try ConfigLoader.load(yaml: text, file: "examples/\(name)")
  }

  func expectGolden(_ text: String?, _ fixture: String) throws {
    let text = try #require(text)
    let expected = Fixture.text("bird/\(fixture)")
    if text != expected {
      let actual = FileManager.default.temporaryDirectory.appendingPathComponent("rh-golden-\(fixture)")
      try text.write(to: actual, atomically: true, encoding: .utf8)
      Issue.record("bird/\(fixture) differs: diff -u Tests/RoutedCoreTests/Fixtures/bird/\(fixture) \(actual.path)")
    }
  }

  /// Dual stack: a kernel protocol and a session template per family, an IPv6 session per IPv6 neighbour.
  @Test func dualStackFullMeshHost() throws {
    let config = try Self.config("fleet-lpar11.yaml")
    try expectGolden(BirdConfig.text(config, source: "examples/fleet-lpar11.yaml"), "fleet-lpar11.conf")
    try expectGolden(
      BirdConfig.text(config, source: "examples/fleet-lpar11.yaml", mode: .fragment), "fleet-lpar11.fragment.conf")
  }

  /// IPv4 only: no IPv6 set, kernel protocol or template at all.
  @Test func ipv4OnlyReflectorClient() throws {
    let config = try Self.config("fleet-rr-client.yaml")
    try expectGolden(BirdConfig.text(config, source: "examples/fleet-rr-client.yaml"), "fleet-rr-client.conf")
  }

  /// What the claims mean in the rendered filters, read from the text rather than from the golden copy: the
  /// IPv6 normal claim reads back as the kernel's 1024 and must not count as arriving.
  @Test func claimsCoverBothFamiliesMetrics() throws {
    let text = try #require(BirdConfig.text(try Self.config("fleet-lpar11.yaml"), source: "x"))
    #expect(text.contains("return krt_metric >= 512 && krt_metric < 1024;"))
    #expect(text.contains("define ROUTED_HOOK_GUESTS6 = [ fd00:136::/32{128,128} ];"))
    #expect(text.contains("protocol kernel routed_hook_kernel6 {\n"))
    #expect(text.contains("protocol bgp routed_hook_peer_fd00_56__12 from routed_hook_fleet6 {\n  neighbor fd00:56::12 as 65000;"))
    #expect(text.contains("protocol bgp routed_hook_peer_172_31_56_12 from routed_hook_fleet {\n  neighbor 172.31.56.12 as 65000;"))
    #expect(text.contains("template bgp routed_hook_fleet6 {\n  local fd00:56::11 as 65000;"))
  }
}
