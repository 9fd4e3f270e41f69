#if canImport(Glibc)
  import Glibc
#endif
import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook check`: validate the config and summarise it.
  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate the host config and print a summary.",
      discussion: """
        Errors name the file, line and field. Where the config's interfaces exist on this host, their addresses are checked too (two uplinks in one subnet with proxy-arp are refused).

        Examples:
          routed-hook check
          routed-hook check --config examples/lpar11.yaml
          routed-hook check --config lpar11.yaml --peer lpar12.yaml
        """)

    @OptionGroup var options: CommonOptions

    @Option(
      help: ArgumentHelp(
        "The config of the host at the other end of a routed link: check that routes are symmetric and single-path.",
        valueName: "other.yaml"))
    var peer: String?

    func run() throws {
      let settings = options.settings
      if !options.configExists {
        throw CLIError(
          "\(settings.configPath) does not exist, so routed-hook leaves every guest alone. To start: "
            + "routed-hook init (writes a config from this host's bridges and interfaces), then routed-hook check")
      }
      let facts = LiveHost.facts()
      let config = try CLIError.wrap { try LiveHost.config(settings.configPath, facts: facts) }
      print(ConfigSummary.text(config))
      var birdRefused = false
      for (what, outcome) in BirdParseCheck.check(config, source: settings.configPath) {
        switch outcome {
        case .accepted: print("\(what): accepted by bird -p")
        case .notInstalled: print("\(what): not parse-checked (bird is not installed)")
        case .refused(let message):
          print("\(what): refused by bird -p: \(message)")
          birdRefused = true
        }
      }
      if birdRefused { throw ExitCode(1) }
      guard let peer else { return }
      let other = try CLIError.wrap { try LiveHost.config(peer) }
      let findings = PeerCheck.findings(
        PeerCheck.Host(name: Check.shortName(settings.configPath), config: config),
        PeerCheck.Host(name: Check.shortName(peer), config: other))
      if findings.isEmpty {
        print("peer \(peer): routes are symmetric, one path to each guest network")
        return
      }
      for finding in findings { print("peer: \(finding)") }
      throw ExitCode(1)
    }

    static func shortName(_ path: String) -> String {
      String(path.split(separator: "/").last ?? Substring(path))
    }
  }

  /// A readable summary of a valid config.
  enum ConfigSummary {
    static func text(_ config: HostConfig) -> String {
      var lines = ["config ok: route protocol \(config.routeProtocol)"]
      for network in config.guestNetworks {
        let libvirt = network.libvirtNetwork.map { ", libvirt network \($0)" } ?? ""
        lines.append(
          "guest network \(network.name): bridge \(network.bridge)\(libvirt), gateway \(network.gateway), mtu \(network.mtu)"
        )
        for name in network.uplinks {
          guard let uplink = config.uplink(named: name) else { continue }
          let peers = uplink.peers.map { " \($0.subnet) via \($0.via)" }.joined(separator: ",")
          let layer = uplink.layer == 3 ? ", layer 3" : ""
          lines.append(
            "  uplink \(uplink.name): \(uplink.interface) \(uplink.mode.rawValue)\(layer)\(peers.isEmpty ? "" : ", peers:\(peers)")"
          )
        }
      }
      let unused = config.uplinks.filter { uplink in
        !config.guestNetworks.contains { $0.uplinks.contains(uplink.name) }
      }
      for uplink in unused {
        lines.append("uplink \(uplink.name) (\(uplink.interface)) is used by no guest network")
      }
      if let bgp = config.bgp {
        let neighbours = bgp.neighbours.map { "\($0.address) (\($0.role.rawValue))" }.joined(separator: ", ")
        let bfd = bgp.bfd.map { "bfd \($0.interval) ms × \($0.multiplier)" } ?? "no bfd"
        let restart = bgp.restartTime.map { "graceful restart \($0) s" } ?? "no graceful restart"
        lines.append(
          "bgp: AS \(bgp.asn) over uplink \(bgp.uplink), guests \(bgp.prefixes.map(\.description).joined(separator: ", ")), hold \(bgp.holdTime) s, \(bfd), \(restart)"
        )
        lines.append("  neighbours: \(neighbours)")
      }
      let count = config.domains.values.reduce(0) { $0 + $1.count }
      lines.append("domains in config: \(config.domains.count) (\(count) NICs)")
      return lines.joined(separator: "\n")
    }
  }
}
