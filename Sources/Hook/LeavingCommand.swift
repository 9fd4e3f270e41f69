import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook leaving`: the source's side of a live migration by hand (the watch daemon does it on libvirt's
  /// SUSPENDED_MIGRATED event, and on the resume after a failed migration).
  // An admin's command: its stdout is for the terminal. Hook calls never get here (main.swift dispatches them
  // by argv[0] before ArgumentParser), so nothing it prints can reach libvirt, which reads a hook's stdout.
  struct LeavingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "leaving",
      abstract: "On the source of a live migration: stop answering for the guest while it is paused to move.",
      discussion: """
        libvirt pauses a migrating guest on the source for the migration's last phase (SUSPENDED_MIGRATED); the destination resumes it a moment later and makes its own ARP answer live (`routed-hook arrived`). So that the production LAN never hears two hosts answer for the guest, this command, under the hook lock and in one transaction, withdraws this host's ARP answer (and proxy neighbour entry) for the guest on proxy-arp uplinks and moves its /32 to metric 768 (the leaving claim: BIRD announces it with local_pref 50, so every host prefers the destination once it claims the guest). The record says `leaving`, so `stopped` removes exactly what is left. With --resumed (the migration failed and the guest runs here again), it answers for the guest again at metric 0 and sends gratuitous ARP (and unsolicited neighbour advertisements for its IPv6 addresses). A domain that is not in that state is left alone. Never called by libvirt; never calls libvirt.

        Examples:
          routed-hook leaving web01
          routed-hook leaving --resumed web01
        """)

    @OptionGroup var target: RecordedDomainArguments
    var domain: String { target.domain }

    @Flag(help: "The migration failed and the guest runs here again: answer for it again.")
    var resumed = false

    func run() throws {
      let routing = target.routing
      let event: Handover.MigrationEvent = resumed ? .resumed : .pausedForMigration
      let done = try CLIError.wrap { try routing.migrationEvent(event, domain: domain) }
      guard let record = done.record else { throw target.noRecord }
      guard let summary = done.summary else {
        print("\(record.domain.name): nothing to change (claim: \(record.preference.rawValue))")
        return
      }
      print("\(record.domain.name): \(summary)")
      for failure in done.failures { printError("\(domain): \(failure)") }
    }
  }
}
