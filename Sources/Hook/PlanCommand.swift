import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook plan`: what a hook call would change, printed as ip/sysctl/nft commands.
  struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "plan",
      abstract: "Print what a hook call would change, without touching anything.",
      discussion: """
        The plan is printed in the words admins know: nft syntax for tables, rules and set elements, ip route lines for routes, sysctl lines for per-interface settings. Interfaces that do not exist on this host are planned as if they existed, with no addresses.

        Examples:
          routed-hook plan --config lpar11.yaml --domain-xml web01.xml
          routed-hook plan --domain-xml web01.xml --op stopped
        """)

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("The domain XML, as libvirt passes it on stdin.", valueName: "file"))
    var domainXml: String

    @Option(help: "The hook operation to plan: prepare, start, started, reconnect, stopped or release.")
    var op: String = "started"

    func validate() throws {
      let known = ["prepare", "start", "started", "reconnect", "stopped", "release"]
      guard known.contains(op) else {
        throw ValidationError("--op must be one of \(known.joined(separator: ", ")); got '\(op)'")
      }
    }

    func run() throws {
      let settings = options.settings
      let invocation = try HookInvocation(kind: .qemu, arguments: ["-", op, "begin", "-"])
      let action = HookPolicy.decide(invocation).action
      let domain = try CLIError.wrap { try DomainXML.parse(try LiveHost.bytes(domainXml)) }
      let records = GuestRouting(settings: settings).records()
      if action == .remove {
        let record = records.first { $0.domain.uuid == domain.identity.uuid }
        if record == nil {
          print("# no record for \(domain.identity.name) (\(domain.identity.uuid)): nothing to remove")
        }
        print(PlanText.render(Planner.removal(of: record)), terminator: "")
        return
      }
      let config = try CLIError.wrap { try LiveHost.config(settings.configPath) }
      var facts = LiveHost.facts(config: config) ?? HostFacts()
      for name in config.guestNetworks.map(\.bridge) + config.uplinks.map(\.interface)
      where facts.addresses[name] == nil {
        print("# \(name) does not exist on this host; planned as if it existed, with no addresses")
        facts.addresses[name] = []
      }
      let plan = try CLIError.wrap {
        try Planner.plan(
          action == .validate || action == .recheck ? .apply : action, domain: domain, config: config,
          records: records, facts: facts)
      }
      if plan.isEmpty && plan.record == nil {
        print(
          "# \(domain.identity.name): no NIC is on a guest network with an address: unmanaged, nothing to do")
        return
      }
      if action == .validate || action == .recheck {
        print("# \(op) only validates; this is what started would apply")
      }
      print(PlanText.render(plan), terminator: "")
    }
  }
}
