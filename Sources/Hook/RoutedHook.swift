#if canImport(Glibc)
  import Glibc
#endif
import ArgumentParser
import HookRuntime

/// The `routed-hook` command line: the libvirt hook itself, and the tools around it.
struct RoutedHook: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "routed-hook",
    abstract: "Routes libvirt guests on a bridge with no physical port to the host's real networks.",
    discussion: """
      Installed as /etc/libvirt/hooks/qemu.d/routed-hook (and lxc.d, network.d), libvirt runs it on every guest start and stop. From /etc/libvirt/routed-hook.yaml and the domain XML it adds or removes, per guest, a /32 host route and nftables set elements (ARP filter, forward allow-list, anti-spoofing, NAT), through netlink, atomically. It never writes to stdout in hook mode.

      Examples:
        routed-hook init
        routed-hook check --config /etc/libvirt/routed-hook.yaml
        routed-hook plan --domain-xml web01.xml
        routed-hook hook qemu web01 started begin - < web01.xml
        routed-hook status --json
        routed-hook doctor --json
        routed-hook reconcile --dry-run
        routed-hook bird-config > /etc/bird/bird.conf
      """,
    version: BuildVersion.text,
    subcommands: [
      InitCommand.self, Check.self, PlanCommand.self, HookCall.self, Apply.self, Remove.self, Status.self, Host.self,
      ReconcileCommand.self,
      DoctorCommand.self, BirdConfigCommand.self, WatchCommand.self,
      ArrivedCommand.self,
      LeavingCommand.self,
    ]
  )
}

/// Options every command shares.
struct CommonOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Host config (default: $ROUTED_HOOK_CONFIG, else /etc/libvirt/routed-hook.yaml).", valueName: "path"))
  var config: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Records and lock (default: $ROUTED_HOOK_STATE_DIR, else /run/routed-hook).", valueName: "dir"))
  var stateDir: String?

  var settings: Settings {
    Settings.resolve(config: config, stateDirectory: stateDir, environment: Settings.environment())
  }

  /// False only when nothing is at the config's path: another failure (no permission) is left to the read.
  var configExists: Bool { access(settings.configPath, F_OK) == 0 || errno != ENOENT }
}

/// The recorded domain a handover command (`arrived`, `leaving`) acts on, by name or UUID, with the options
/// that say where its config and records are.
struct RecordedDomainArguments: ParsableArguments {
  @OptionGroup var options: CommonOptions

  @Argument(help: ArgumentHelp("The domain's name or UUID.", valueName: "domain"))
  var domain: String

  var routing: GuestRouting { GuestRouting(settings: options.settings) }

  /// What both commands say when the domain has no record here.
  var noRecord: CLIError {
    CLIError("\(domain): no record of a domain by that name or UUID; nothing is routed for it here")
  }
}
