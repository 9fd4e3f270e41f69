import Foundation
import RoutedCore
import Testing

@testable import RoutedKernel

/// Root tests: each builds a host in its own throwaway namespace, applies plans there, and reads the
/// kernel back with ip, nft and /proc, never through the code under test.
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct KernelHandleRootTests {
  /// Runs `body` with a fresh host namespace and a kernel handle bound to it; the namespace is always removed.
  func withHost(_ body: (ThrowawayNamespace, KernelHandle) throws -> Void) throws {
    let namespace = try ThrowawayNamespace()
    defer { namespace.remove() }
    try namespace.buildHost()
    try body(namespace, try KernelHandle(networkNamespace: namespace.name))
  }

  @Test func startCreatesEverythingAsNftPrintsIt() throws {
    try withHost { namespace, kernel in
      let report = try kernel.apply(SamplePlan.start("web01", "10.136.11.5"))
      #expect(report.removed.isEmpty)
      #expect(
        report.added.count == SamplePlan.baseline.count + SamplePlan.guest("web01", "10.136.11.5").count)

      let ruleset = try namespace.ruleset()
      for line in [
        #"iifname "br-ex" ip saddr != @guests_production drop comment "rh:spoof:br-ex:guests_production""#,
        #"iifname "br-ex" ip saddr . oifname @egress accept comment "rh:egress:br-ex:egress""#,
        #"oifname "br-ex" ip daddr . iifname @ingress accept comment "rh:ingress:br-ex:ingress""#,
        #"oifname "br-ex" ct state established,related accept comment "rh:replies:br-ex""#,
        #"iifname "br-ex" drop comment "rh:from:br-ex""#,
        #"oifname "br-ex" drop comment "rh:to:br-ex""#,
        #"ip saddr . oifname @masquerade_guests masquerade comment "rh:masquerade:masquerade_guests""#,
        #"iifname "osa10" arp operation request arp daddr ip != @answer_production drop comment "rh:arp:osa10:answer_production""#,
        "type filter hook prerouting priority mangle; policy accept;",
        "type nat hook postrouting priority srcnat; policy accept;",
        #"10.136.11.5 . "osa10" comment "web01""#,
        #"elements = { 10.136.11.5 comment "web01" }"#,
      ] {
        #expect(ruleset.contains(line), "missing: \(line)\n\(ruleset)")
      }
      #expect(ruleset.contains(#"10.131.11.254 comment "host""#))

      // Set key types as nft itself reports them.
      let sets = try namespace.rulesetJSON().compactMap { $0["set"] as? [String: Any] }
      let egress = try #require(sets.first { $0["name"] as? String == "egress" })
      #expect(egress["type"] as? [String] == ["ipv4_addr", "ifname"])
      let guests = try #require(sets.first { $0["name"] as? String == "guests_production" })
      #expect(guests["type"] as? String == "ipv4_addr")

      let routes = try namespace.routes(routeProtocol: SamplePlan.routeProtocol)
      #expect(routes.contains { $0["dst"] as? String == "10.136.11.5" && $0["dev"] as? String == "br-ex" })
      #expect(
        routes.contains {
          $0["dst"] as? String == "10.136.12.0/24" && $0["gateway"] as? String == "10.131.11.12"
        })

      let link = try namespace.ip("-j", "address", "show", "dev", "br-ex")
      #expect(link.contains(#""mtu":9000"#))
      #expect(link.contains(#""local":"10.136.11.254","prefixlen":24"#))
      #expect(link.contains("UP"))
      #expect(try namespace.sysctl("br-ex", "proxy_arp") == "1")
      #expect(try namespace.sysctl("osa172", "forwarding") == "1")
      #expect(try namespace.sysctl("osa172", "proxy_arp") == "0")
    }
  }

  @Test func applyingTwiceChangesNothing() throws {
    try withHost { _, kernel in
      let plan = SamplePlan.start("web01", "10.136.11.5")
      _ = try kernel.apply(plan)
      let second = try kernel.apply(plan)
      #expect(second.added == [])
      #expect(second.removed == [])
      #expect(second.unchanged == SamplePlan.baseline.count + SamplePlan.guest("web01", "10.136.11.5").count)
      let objects = plan.baseline + plan.guestChanges.map(\.object)
      #expect(try kernel.present(objects) == Set(objects))
    }
  }

  @Test func stopRemovesTheGuestAndNothingElse() throws {
    try withHost { namespace, kernel in
      // Someone else's table and route, which must survive everything below untouched.
      try namespace.exec("nft", "add", "table", "inet", "other")
      try namespace.exec(
        "nft", "add", "chain", "inet", "other", "input",
        "{ type filter hook input priority 0; policy accept; }")
      try namespace.exec(
        "nft", "add", "rule", "inet", "other", "input", "iifname", "osa10", "counter", "accept")
      try namespace.ip("route", "add", "10.99.0.0/24", "dev", "osa10", "proto", "static")
      let foreignTable = try namespace.exec("nft", "list", "table", "inet", "other")
      let foreignRoutes = try namespace.ip("route", "show", "proto", "static")

      _ = try kernel.apply(SamplePlan.start("web01", "10.136.11.5"))
      _ = try kernel.apply(SamplePlan.start("web02", "10.136.11.6"))
      let stop = try kernel.apply(SamplePlan.stop("web01", "10.136.11.5"))
      #expect(stop.added == [])
      #expect(Set(stop.removed) == Set(SamplePlan.guest("web01", "10.136.11.5")))

      let ruleset = try namespace.ruleset()
      #expect(!ruleset.contains("10.136.11.5"))
      #expect(ruleset.contains(#"10.136.11.6 . "osa10" comment "web02""#))
      let routes = try namespace.routes(routeProtocol: SamplePlan.routeProtocol)
      #expect(!routes.contains { $0["dst"] as? String == "10.136.11.5" })
      #expect(routes.contains { $0["dst"] as? String == "10.136.11.6" })

      // Removing what is already gone is not an error, and changes nothing.
      let again = try kernel.apply(SamplePlan.stop("web01", "10.136.11.5"))
      #expect(again.removed == [])

      let owned = try kernel.ownedGuestObjects(routeProtocol: SamplePlan.routeProtocol)
      #expect(Set(owned) == Set(SamplePlan.guest("web02", "10.136.11.6")))

      let host = try kernel.removeBaseline(SamplePlan.baseline)
      #expect(host.removed.contains(.table(.filter)))
      let after = try namespace.ruleset()
      #expect(!after.contains("routed_hook"))
      #expect(
        try namespace.routes(routeProtocol: SamplePlan.routeProtocol).allSatisfy {
          $0["dst"] as? String == "10.136.11.6"
        })
      #expect(!(try namespace.ip("address", "show", "dev", "br-ex")).contains("10.136.11.254"))
      #expect(try namespace.exec("nft", "list", "table", "inet", "other") == foreignTable)
      #expect(try namespace.ip("route", "show", "proto", "static") == foreignRoutes)
      #expect(try namespace.ip("address", "show", "dev", "osa10").contains("10.131.11.254/24"))
    }
  }

  @Test func foreignRouteCollisionNamesBothAndLeavesNoResidue() throws {
    try withHost { namespace, kernel in
      try namespace.ip("route", "add", "10.136.11.7/32", "dev", "osa10", "proto", "static")
      #expect {
        try kernel.apply(SamplePlan.start("web03", "10.136.11.7"))
      } throws: { error in
        let message = "\(error)"
        return message.contains("10.136.11.7/32 dev br-ex proto 151")
          && message.contains("10.136.11.7/32 dev osa10 proto static")
      }
      #expect(!(try namespace.ruleset()).contains("10.136.11.7"))
      #expect(try namespace.ip("route", "show", "10.136.11.7").contains("dev osa10 proto static"))
    }
  }

  /// On a BGP host the guest's address may already be routed elsewhere by BIRD (protocol bird, 12): the
  /// guest ran on another host, and has just moved here. That route is BIRD's and no collision: ours goes
  /// beside it, wins by metric, and leaves with the guest while BIRD's stays untouched.
  @Test func aRouteLearnedByBIRDIsLeftAloneAndOutranked() throws {
    try withHost { namespace, kernel in
      try namespace.ip("route", "add", "10.136.11.7/32", "via", "10.131.11.12", "dev", "osa10", "proto", "bird", "metric", "32")
      _ = try kernel.apply(SamplePlan.start("web03", "10.136.11.7"))
      #expect(try namespace.ip("route", "get", "10.136.11.7").contains("dev br-ex"))
      let both = try namespace.ip("route", "show", "10.136.11.7/32")
      #expect(both.contains("dev br-ex proto 151 scope link"), "\(both)")
      #expect(both.contains("via 10.131.11.12 dev osa10 proto bird metric 32"), "\(both)")
      // Not one of ours: status's orphan scan and reconcile never see it.
      #expect(
        try kernel.ownedGuestObjects(routeProtocol: SamplePlan.routeProtocol).filter {
          if case .route(let route) = $0 { return route.destination.description == "10.136.11.7/32" }
          return false
        }.count == 1)
      // status reports it as learned from peers.
      #expect(try kernel.learnedRoutes() == ["10.136.11.7/32 via 10.131.11.12 dev osa10 proto bird"])
      _ = try kernel.apply(SamplePlan.stop("web03", "10.136.11.7"))
      #expect(try namespace.ip("route", "show", "10.136.11.7/32").contains("via 10.131.11.12 dev osa10 proto bird metric 32"))
      #expect(!(try namespace.ip("route", "show", "10.136.11.7/32")).contains("br-ex"))
      #expect(try namespace.ip("route", "get", "10.136.11.7").contains("via 10.131.11.12"))
    }
  }

  @Test func failedRouteRollsBackTheGuestsElements() throws {
    try withHost { namespace, kernel in
      _ = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      // down0 is down: the route add fails after the nft batch committed, so the batch must be undone.
      #expect(throws: SystemError.self) {
        try kernel.apply(SamplePlan.start("web04", "10.136.11.8", device: "down0"))
      }
      #expect(!(try namespace.ruleset()).contains("10.136.11.8"))
      #expect(!(try namespace.ip("route", "show")).contains("10.136.11.8"))
      #expect(try kernel.ownedGuestObjects(routeProtocol: SamplePlan.routeProtocol) == [])
    }
  }

  @Test func duplicateElementErrorNamesTheElement() throws {
    try withHost { namespace, kernel in
      _ = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      try namespace.exec(
        "nft", "add", "element", "inet", "routed_hook", "egress",
        #"{ 10.136.11.5 . "osa10" comment "web02" }"#)
      #expect {
        try kernel.apply(SamplePlan.start("web01", "10.136.11.5"))
      } throws: { error in
        (error as? SystemError)?.message.hasPrefix(
          #"set inet routed_hook egress: element 10.136.11.5 . "osa10": File exists"#) == true
      }
      // The transaction was all or nothing: none of web01's elements went in.
      #expect(!(try namespace.ruleset()).contains("web01"))
    }
  }

  @Test func baselineRulesAreRepairedNotDuplicated() throws {
    try withHost { namespace, kernel in
      _ = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      // Lose the last two rules of forward, as if someone deleted them by hand.
      let handles = try namespace.exec("nft", "-a", "list", "chain", "inet", "routed_hook", "forward")
        .split(separator: "\n").filter { $0.contains("rh:from:") || $0.contains("rh:to:") }
        .compactMap { $0.split(separator: " ").last.map(String.init) }
      for handle in handles {
        try namespace.exec("nft", "delete", "rule", "inet", "routed_hook", "forward", "handle", handle)
      }
      let repair = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      #expect(repair.added.count == 1)
      let forward = try namespace.exec("nft", "list", "chain", "inet", "routed_hook", "forward")
      #expect(forward.components(separatedBy: "comment \"rh:").count - 1 == 6)
      #expect(try kernel.apply(Plan(baseline: SamplePlan.baseline)).added == [])
    }
  }

  /// A chain whose rules are no longer a prefix of the plan's is rebuilt: each remaining rule of ours is
  /// deleted by the handle read back from the kernel, so a handle decoded wrongly fails here.
  @Test func baselineRulesOutOfOrderAreRebuiltByTheirHandles() throws {
    try withHost { namespace, kernel in
      _ = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      let intact = try namespace.exec("nft", "list", "chain", "inet", "routed_hook", "forward")
      let first = try namespace.exec("nft", "-a", "list", "chain", "inet", "routed_hook", "forward")
        .split(separator: "\n").first { $0.contains("comment \"rh:") }
      let handle = try #require(first?.split(separator: " ").last.map(String.init))
      try namespace.exec("nft", "delete", "rule", "inet", "routed_hook", "forward", "handle", handle)
      let rebuild = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      #expect(rebuild.added.count == 1)
      #expect(try namespace.exec("nft", "list", "chain", "inet", "routed_hook", "forward") == intact)
    }
  }

  @Test func aKeyThatChangesOwnerIsDeletedThenAddedInOneTransaction() throws {
    try withHost { namespace, kernel in
      _ = try kernel.apply(SamplePlan.start("web01", "10.136.11.5"))
      // The same address now belongs to web01-renamed: the removals are listed after the additions on purpose.
      let renamed = Plan(
        guestChanges: SamplePlan.guest("web01-renamed", "10.136.11.5").map(KernelChange.add)
          + SamplePlan.guest("web01", "10.136.11.5").map(KernelChange.remove))
      let report = try kernel.apply(renamed)
      #expect(report.added.count == 6)
      #expect(report.removed.count == 6)
      let ruleset = try namespace.ruleset()
      #expect(ruleset.contains(#"comment "web01-renamed""#))
      #expect(!ruleset.contains(#"comment "web01""#))
      #expect(try namespace.ip("route", "show", "10.136.11.5").contains("dev br-ex proto 151"))
    }
  }

  @Test func removingRoutesOfAVanishedDeviceIsNotAnError() throws {
    try withHost { namespace, kernel in
      _ = try kernel.apply(Plan(baseline: SamplePlan.baseline))
      try namespace.ip("link", "set", "down0", "up")
      try namespace.ip("link", "set", "down0p", "up")
      _ = try kernel.apply(SamplePlan.start("web05", "10.136.11.9", device: "down0"))
      try namespace.ip("link", "del", "down0")
      let stop = Plan(
        guestChanges: SamplePlan.guest("web05", "10.136.11.9", device: "down0").map(KernelChange.remove))
      let report = try kernel.apply(stop)
      #expect(report.removed.count == 6)
      #expect(try kernel.ownedGuestObjects(routeProtocol: SamplePlan.routeProtocol) == [])
    }
  }

  @Test(.enabled(if: PrivateOVS.isInstalled, "needs openvswitch"))
  func openVSwitchNetdevBridge() throws {
    let namespace = try ThrowawayNamespace()
    defer { namespace.remove() }
    let ovs = try PrivateOVS(in: namespace)
    defer { ovs.stop() }
    try namespace.buildHost(ovs: ovs)
    let kernel = try KernelHandle(networkNamespace: namespace.name)
    let plan = SamplePlan.start("web01", "10.136.11.5")
    _ = try kernel.apply(plan)
    let link = try namespace.ip("-j", "address", "show", "dev", "br-ex")
    #expect(link.contains(#""mtu":9000"#))
    #expect(link.contains(#""local":"10.136.11.254","prefixlen":24"#))
    #expect(
      try namespace.routes(routeProtocol: SamplePlan.routeProtocol).contains {
        $0["dst"] as? String == "10.136.11.5"
      })
    #expect(try kernel.apply(plan).added == [])
  }

  @Test func hostFactsReadsAddresses() throws {
    try withHost { _, kernel in
      let facts = try kernel.readHostFacts(interfaces: ["osa10", "osa172", "br-ex", "missing0"])
      #expect(facts.addresses["osa10"] == [IPv4Interface("10.131.11.254/24")!])
      #expect(facts.addresses["osa172"] == [IPv4Interface("172.18.0.11/15")!])
      #expect(facts.addresses["br-ex"] == [])
      #expect(facts.addresses["missing0"] == nil)
    }
  }
}
