import ArgumentParser
import LabKit

extension RoutedLab {
  struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "up",
      abstract: "Build the lab from a topology file and start its guests through routed-hook.",
      discussion: """
        Creates the namespaces, segments (Linux bridges), veth links, private OVS daemons, then starts every \
        autostart guest: routed-hook prepare, NIC attached, start, started. A host with libvirt: true runs a \
        real libvirtd instead (routed-hook installed as its hook) and its guests are LXC or QEMU domains \
        started with virsh; a QEMU guest's image is built once and cached. On any failure everything built is \
        removed again and the command exits non-zero with the reason. An earlier run of the same lab is \
        cleared first; lab-prefixed namespaces or links that no lab recorded make it refuse to run.

        Examples:
          routed-lab up lab/seed.yaml
          routed-lab up lab/seed.yaml --timings
          routed-lab up lab/libvirt.yaml            # real libvirtd: LXC and QEMU (TCG) domains
          routed-lab up lab/seed.yaml --hook .build/debug/routed-hook
          routed-lab up lab/seed.yaml --no-hook      # hardware only, no routing on the hosts
          routed-lab up lab/seed.yaml --switch linux-bridge --bridge-netfilter on   # as on a Docker host
        """
    )

    @Argument(help: "Topology file (YAML).")
    var file: String

    @Option(
      name: .long,
      help: "The routed-hook binary (default: beside routed-lab, else /usr/sbin, else /usr/local/sbin).")
    var hook: String?

    @Flag(name: .long, help: "Do not run routed-hook: build the hardware and attach guests only.")
    var noHook = false

    @Flag(name: .long, help: "Print each phase's time and share at the end.")
    var timings = false

    @Flag(name: .shortAndLong, help: "No progress lines.")
    var quiet = false

    @OptionGroup var switches: SwitchOptions

    func run() throws {
      let topology = try TopologyParser.load(path: file, override: try switches.override())
      let names = LabNames(lab: topology.lab)
      let driver = noHook ? nil : HookDriver(names: names, hookPath: hook ?? HookDriver.defaultPath())
      let clock = quiet ? PhaseClock() : PhaseClock(progress: Progress.printer(prefix: "up"))
      Interruption.install()
      do {
        try LabBuilder(topology: topology, names: names, hook: driver, sourcePath: file).up(clock: clock)
      } catch {
        note("routed-lab: \(error)")
        throw ExitCode.failure
      }
      if timings { note(clock.report(title: "up")) }
      let switched = topology.switchOverride.map { " (\($0))" } ?? ""
      note(
        "lab \(topology.lab)\(switched) is up: \(topology.nodeNames.count) namespaces in \(Int(clock.total * 1000)) ms"
      )
    }
  }
}
