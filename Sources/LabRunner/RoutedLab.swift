import ArgumentParser

/// `routed-lab`: builds the talk's topology from a file and proves routed-hook on it.
@main
struct RoutedLab: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "routed-lab",
    abstract: "Build the talk's KVM routing topology in network namespaces and test routed-hook on it.",
    discussion: """
      Namespaces stand in for LPARs, guests and outside hosts; a private userspace Open vSwitch runs per LPAR; \
      veth pairs and bridges stand in for OSA cards and HiperSockets. Guests are started by running \
      routed-hook as libvirt does. Everything lives in namespaces named rl-<lab>-<node>; state is kept under \
      /run/routed-lab/<lab>/.

      Examples:
        routed-lab up lab/seed.yaml --timings
        routed-lab test
        routed-lab test --up lab/seed-l3.yaml lab/migration.yaml lab/pitfalls/*.yaml
        routed-lab exec guest11a -- ping -c1 10.0.0.10
        routed-lab graph lab/seed.yaml --format svg > lab/seed.svg
        routed-lab down
      """,
    version: BuildVersion.text,
    subcommands: [
      UpCommand.self, DownCommand.self, TestCommand.self, StatusCommand.self, ExecCommand.self,
      GraphCommand.self,
      GuestCommand.self, HostCommand.self, CheckCommand.self, BenchCommand.self,
    ]
  )
}
