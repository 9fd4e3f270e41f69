import Foundation
import LabKit
import Testing

/// `routed-hook bird-config` for every config with a bgp: section that the repository ships (examples and
/// every lab host), checked by BIRD's own parser, whole and as a fragment inside a minimal main config.
private let birdInstalled = FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird")

@Suite(.enabled(if: birdInstalled, "needs bird2 (scripts/install-deps)"))
struct BirdConfigProcessTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "../.."
  )
  .standardized

  /// (name, config text) for each shipped config with a bgp: section.
  static func bgpConfigs() throws -> [(String, String)] {
    var configs: [(String, String)] = []
    let examples = root.appendingPathComponent("examples")
    for name in try FileManager.default.contentsOfDirectory(atPath: examples.path).sorted()
    where name.hasSuffix(".yaml") {
      let text = try String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)
      if text.contains("\nbgp:") { configs.append(("examples/\(name)", text)) }
    }
    for lab in ["fleet.yaml", "fleet-rr.yaml"] {
      let topology = try TopologyParser.load(path: root.appendingPathComponent("lab/\(lab)").path)
      for host in topology.hosts where host.bgp != nil {
        guard case .inline(let text)? = host.hook else { continue }
        configs.append(("lab/\(lab) \(host.name)", text))
      }
    }
    return configs
  }

  func bird(parse path: String) throws -> (Int32, String) {
    let result = try Command.run(["/usr/sbin/bird", "-p", "-c", path])
    return (result.status, result.stdout + result.stderr)
  }

  @Test func everyShippedBGPConfigParsesWholeAndAsAFragment() throws {
    let configs = try Self.bgpConfigs()
    // Two examples, four full-mesh hosts, five route-reflector hosts: a silent skip would hide a regression.
    #expect(configs.count == 11, "\(configs.map(\.0))")
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rh-bird-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    for (name, yaml) in configs {
      let config = scratch.appendingPathComponent("routed-hook.yaml")
      try yaml.write(to: config, atomically: true, encoding: .utf8)
      let whole = try HookProcess.run(["bird-config", "--config", config.path])
      #expect(whole.status == 0, "\(name): \(whole.stderr)")
      #expect(whole.stdout.contains("protocol kernel routed_hook_kernel"), "\(name)")
      let wholePath = scratch.appendingPathComponent("bird.conf")
      try whole.stdout.write(to: wholePath, atomically: true, encoding: .utf8)
      let (status, output) = try bird(parse: wholePath.path)
      #expect(status == 0, "\(name): bird -p: \(output)")

      let fragment = try HookProcess.run(["bird-config", "--fragment", "--config", config.path])
      #expect(fragment.status == 0, "\(name): \(fragment.stderr)")
      #expect(
        !fragment.stdout.contains("\nrouter id "),
        "\(name): a fragment leaves the router id to the main config")
      #expect(whole.stdout.contains("\nrouter id "), "\(name)")
      let fragmentPath = scratch.appendingPathComponent("routed-hook.conf")
      try fragment.stdout.write(to: fragmentPath, atomically: true, encoding: .utf8)
      let mainPath = scratch.appendingPathComponent("main.conf")
      try "router id 192.0.2.1;\nprotocol device {}\ninclude \"\(fragmentPath.path)\";\n".write(
        to: mainPath, atomically: true, encoding: .utf8)
      let (fragmentStatus, fragmentOutput) = try bird(parse: mainPath.path)
      #expect(fragmentStatus == 0, "\(name): bird -p with the fragment: \(fragmentOutput)")
    }
  }

  /// `check` runs the same parse and says so; a config without bgp: has nothing for BIRD.
  @Test func checkReportsBirdsVerdictAndBirdConfigRefusesAConfigWithoutBGP() throws {
    let example = Self.root.appendingPathComponent("examples/fleet-lpar11.yaml").path
    let check = try HookProcess.run(["check", "--config", example])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.stdout.contains("bird-config: accepted by bird -p"))
    #expect(check.stdout.contains("bird-config --fragment: accepted by bird -p"))
    let plain = Self.root.appendingPathComponent("examples/lpar11.yaml").path
    let refused = try HookProcess.run(["bird-config", "--config", plain])
    #expect(refused.status != 0)
    #expect(
      refused.stderr.contains(
        "examples/lpar11.yaml: no bgp: section; BIRD is for fleets that share guest routes over BGP"))
  }
}
