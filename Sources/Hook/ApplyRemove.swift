import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook apply`: apply a domain by hand, through the hook's own code path.
  struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Apply a domain's routing by hand (what `started` does).",
      discussion: """
        Examples:
          virsh dumpxml web01 > web01.xml && routed-hook apply --domain-xml web01.xml
        """)

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("The domain XML.", valueName: "file"))
    var domainXml: String

    func run() throws {
      let routing = GuestRouting(settings: options.settings)
      let outcome = try CLIError.wrap { () -> Outcome in
        let domain = try DomainXML.parse(try LiveHost.bytes(domainXml))
        guard let config = try routing.loadConfig() else {
          throw CLIError("no config at \(options.settings.configPath)")
        }
        return try routing.run(.apply, domain: domain, config: config)
      }
      guard let domain = outcome.domain, let report = outcome.report else {
        print("unmanaged: no NIC is on a guest network with an address; nothing applied")
        return
      }
      print(
        "\(domain.name): added \(report.added.count), removed \(report.removed.count), unchanged \(report.unchanged)"
      )
    }
  }

  /// `routed-hook remove`: remove what a domain's record says, by hand.
  struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Remove exactly what a domain's record says (what `stopped` does).",
      discussion: """
        Examples:
          routed-hook remove --domain 6f1c7d1e-2b4a-4c1e-9d55-0d9a0f1e2b3c
        """)

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("The domain's UUID.", valueName: "uuid"))
    var domain: String

    func run() throws {
      let outcome = try CLIError.wrap {
        try GuestRouting(settings: options.settings).remove(uuid: domain.lowercased(), name: nil)
      }
      guard let identity = outcome.domain, let report = outcome.report else {
        print("no record for \(domain): nothing to remove")
        return
      }
      print("\(identity.name): removed \(report.removed.count)")
    }
  }
}
