#if canImport(Glibc)
  import Glibc
#endif
import ArgumentParser
import HookRuntime
import RoutedCore

extension RoutedHook {
  /// `routed-hook arrived`: finish an incoming live migration by hand (the watch daemon does it on libvirt's
  /// RESUMED_MIGRATED event, `reconcile` when it finds the guest running).
  // An admin's command: its stdout is for the terminal. Hook calls never get here (main.swift dispatches them
  // by argv[0] before ArgumentParser), so nothing it prints can reach libvirt, which reads a hook's stdout.
  struct ArrivedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "arrived",
      abstract: "Finish an incoming live migration: this host takes the guest's traffic from now on.",
      discussion: """
        On the destination of a live migration, the `started` hook installs the guest as arriving: its /32 at metric 512 (BIRD announces it with local_pref 50 and keeps using the source's route), and no ARP answering for it on proxy-arp uplinks, because the source still runs it. Once the guest runs here, this command, under the hook lock and in one transaction, makes the ARP answering live and moves the /32 to metric 256 (local_pref 200, so every host prefers it over the source's route before the source withdraws); then it sends gratuitous ARP for the guest's IPv4 addresses on the proxy-arp uplinks and on the guest bridge, and an unsolicited neighbour advertisement (override flag) for its IPv6 addresses on the proxy-arp uplinks and for the gateway fe80::1 on the bridge, so neighbour caches move at once. An IPv6 guest's /128 takes the same claims (metric 512, 256, then the kernel's 1024 for normal). The moved claim settles to metric 0 (local_pref 100) 30 s later: with --wait here, else at the next `routed-hook reconcile` or by `routed-hook watch`. A domain that is not arriving is left alone. Never called by libvirt; never calls libvirt.

        Examples:
          routed-hook arrived web01
          routed-hook arrived --wait 6f1c3c58-1d7e-4f0a-9b44-4a3c1e0f5d2a
          routed-hook arrived --settle web01
        """)

    @OptionGroup var target: RecordedDomainArguments
    var domain: String { target.domain }

    @Flag(help: "Stay until the moved claim is due (30 s), then settle it to normal.")
    var wait = false

    @Flag(help: "Settle a moved claim to normal now, whatever its age (after a finished arrival).")
    var settle = false

    func validate() throws {
      if wait && settle { throw ValidationError("--wait and --settle exclude each other") }
    }

    func run() throws {
      let routing = target.routing
      let result = try CLIError.wrap { try routing.finishArrival(domain: domain) }
      let uuid: String
      switch result {
      case .noRecord:
        throw target.noRecord
      case .alreadyFinished(let record):
        uuid = record.domain.uuid
        print("\(record.domain.name): not arriving (claim: \(record.preference.rawValue)); nothing changed")
      case .finished(let outcome, let announced, let failures):
        uuid = outcome.domain?.uuid ?? domain
        print("\(outcome.domain?.name ?? domain): moved (\(ApplyReportSummary(outcome.report).text))")
        for announcement in announced { print("  \(announcement)") }
        for failure in failures { printError("\(domain): \(failure)") }
      }
      if wait {
        let seconds = GuestRoutePreference.movedSeconds
        printError("\(domain): holding the moved claim for \(seconds) s")
        sleep(UInt32(seconds))
      }
      if wait || settle {
        let settled = try CLIError.wrap {
          try routing.settleMoved(after: settle ? 0 : GuestRoutePreference.movedSeconds, uuid: uuid)
        }
        print(settled.isEmpty ? "\(domain): no moved claim to settle" : "\(domain): settled to normal")
      }
    }
  }
}
