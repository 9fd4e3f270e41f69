/// The BIRD 2 config that shares this host's guest routes with its BGP neighbours (`routed-hook bird-config`).
///
/// Division of labour: routed-hook writes one /32 per running guest (protocol `routeProtocol`); BIRD's
/// kernel protocol learns exactly those, BGP announces them, and BIRD installs the neighbours' guest
/// routes as its own (protocol `bird`, 12). Neither ever changes the other's routes.
public enum BirdConfig {
  public enum Mode: Sendable {
    /// A whole `bird.conf`: router id, logging and the device protocol, then the fragment.
    case full
    /// Only routed-hook's part, to `include` into an existing BIRD config after its `router id` and
    /// `protocol device`. It brings a kernel protocol for `master4`: BIRD allows one per kernel table.
    case fragment
  }

  /// BIRD's `krt_source` for routes it installs itself; BIRD cannot use another number.
  public static let birdRouteProtocol: UInt8 = 12
  /// The metric of BIRD's own kernel routes: below `arriving`'s, so an arriving guest's traffic keeps
  /// following the source's announcement (see `GuestRoutePreference`).
  public static let birdMetric = 32

  /// Every name BIRD sees starts with this, so the fragment cannot clash with a user's own protocols.
  static let prefix = "routed_hook"

  /// The config text; `source` names the host config in the header comment. Nil when `config` has no `bgp:`.
  public static func text(_ config: HostConfig, source: String, mode: Mode = .full) -> String? {
    guard let bgp = config.bgp, let uplink = config.uplink(named: bgp.uplink), let own = uplink.address else {
      return nil
    }
    let routerID = bgp.routerID ?? own.address
    var out: [String] = []
    func line(_ text: String = "") { out.append(text) }

    line(
      "# BIRD 2 config written by `routed-hook bird-config\(mode == .fragment ? " --fragment" : "")` from \(source)."
    )
    line(
      "# Regenerate it after changing the bgp: section; `routed-hook check` and `bird -p -c FILE` parse it.")
    line("#")
    line(
      "# routed-hook writes a /32 route (protocol \(config.routeProtocol)) for every guest that runs on this host."
    )
    line(
      "# BIRD learns exactly those from the kernel, announces them over \(uplink.interface) (uplink '\(uplink.name)'),"
    )
    line("# and installs the neighbours' guest routes as its own (protocol bird, metric \(birdMetric)).")
    line("# Neither ever changes the other's routes.")
    if mode == .fragment {
      line("#")
      line("# Include it after `router id` and `protocol device`:  include \"/etc/bird/routed-hook.conf\";")
      line(
        "# It brings a kernel protocol for master4; BIRD allows one per kernel table, so drop or merge yours."
      )
    } else {
      line()
      line("router id \(routerID);")
      line("log syslog all;")
      line()
      line("# Interface states, which the kernel and BGP protocols follow.")
      line("protocol device \(prefix)_device {")
      line("  scan time 10;")
      line("}")
    }
    line()
    line("# The fleet's guest addresses (bgp.prefixes): only single addresses inside them are announced,")
    line("# accepted from neighbours and installed in the kernel.")
    let prefixes = bgp.prefixes.map { "\($0){32,32}" }.joined(separator: ", ")
    line("define ROUTED_HOOK_GUESTS = [ \(prefixes) ];")
    line()
    line("# A route routed-hook wrote for a guest that runs here.")
    line("function \(prefix)_guest_route() {")
    line("  return source = RTS_INHERIT && krt_source = \(config.routeProtocol) && net ~ ROUTED_HOOK_GUESTS;")
    line("}")
    line()
    line("# How strongly this host claims a guest, from the metric routed-hook gave its route: normal,")
    line("# or during a live migration arriving (guest still paused here) or moved (resumed here).")
    line("function \(prefix)_claim() {")
    let arriving = GuestRoutePreference.arriving, moved = GuestRoutePreference.moved
    line(
      "  if krt_metric >= \(arriving.metric) then bgp_local_pref = \(arriving.localPreference);     # arriving"
    )
    line("  else if krt_metric >= \(moved.metric) then bgp_local_pref = \(moved.localPreference); # moved")
    line("  else bgp_local_pref = \(GuestRoutePreference.normal.localPreference);")
    line("}")
    line()
    line("protocol kernel \(prefix)_kernel {")
    line("  learn;                # read routes other programs wrote: routed-hook's guest routes")
    line("  scan time 10;         # changes arrive at once over netlink; the scan only double-checks")
    line(
      "  metric \(birdMetric);            # BIRD's own routes; routed-hook's are 0 (\(moved.metric), \(arriving.metric) during a migration)"
    )
    if bgp.restartTime != nil {
      line(
        "  graceful restart;     # started with -R after `birdc graceful restart`: keep routes until BGP converged"
      )
    }
    line("  ipv4 {")
    line("    # A guest that runs here beats a neighbour's announcement of it (BGP: 100), unless it is only")
    line("    # arriving: then the source's announcement stays in use until the guest has moved.")
    line("    preference \(GuestRoutePreference.normal.birdPreference);")
    line("    import filter {")
    line("      if ! \(prefix)_guest_route() then reject;")
    line("      if krt_metric >= \(arriving.metric) then preference = \(arriving.birdPreference);")
    line("      accept;")
    line("    };")
    line("    # Only neighbours' guest routes go into the kernel; routed-hook's own stay as they are.")
    line("    export filter { if source = RTS_BGP && net ~ ROUTED_HOOK_GUESTS then accept; reject; };")
    line("  };")
    line("}")
    if let bfd = bgp.bfd {
      line()
      line(
        "# BFD: a neighbour that stops answering is down after \(bfd.interval * bfd.multiplier) ms, not after the hold time."
      )
      line("protocol bfd \(prefix)_bfd {")
      line("  interface \"\(uplink.interface)\" {")
      line("    min rx interval \(bfd.interval) ms;")
      line("    min tx interval \(bfd.interval) ms;")
      line("    multiplier \(bfd.multiplier);")
      line("  };")
      line("}")
    }
    line()
    line("# Every session: directly over \(uplink.interface), from \(own.address).")
    line("template bgp \(prefix)_fleet {")
    line("  local \(own.address) as \(bgp.asn);")
    line("  direct;               # neighbours are on \(own.network); next hops resolve on the link")
    line("  hold time \(bgp.holdTime);")
    line("  keepalive time \(max(1, bgp.holdTime / 3));")
    line("  connect delay time 1;")
    line("  connect retry time 5;")
    line("  error wait time 1, 30;")
    if bgp.bfd != nil { line("  bfd on;               # a BFD failure takes the session down at once") }
    if let restart = bgp.restartTime {
      line(
        "  graceful restart on;  # peers keep our routes while our BIRD restarts (session closed without BFD failure)"
      )
      line("  graceful restart time \(restart);")
    } else {
      line("  graceful restart off;")
    }
    line("  ipv4 {")
    line("    import filter { if net ~ ROUTED_HOOK_GUESTS then accept; reject; };")
    line("    export filter {")
    line("      if \(prefix)_guest_route() then { \(prefix)_claim(); accept; }")
    line("      # Others' guests: sent on only by a route reflector, to its clients and other reflectors.")
    line("      if source = RTS_BGP && net ~ ROUTED_HOOK_GUESTS then accept;")
    line("      reject;")
    line("    };")
    line("  };")
    line("}")
    for neighbour in bgp.neighbours {
      line()
      let name =
        "\(prefix)_\(neighbour.role.rawValue)_"
        + neighbour.address.bytes.map(String.init).joined(separator: "_")
      let comment =
        switch neighbour.role {
        case .peer: (neighbour.asn ?? bgp.asn) == bgp.asn ? "full-mesh peer" : "external peer"
        case .reflector: "route reflector; this host is its client"
        case .client: "client; this host reflects routes to it"
        }
      line("# \(comment)")
      line("protocol bgp \(name) from \(prefix)_fleet {")
      line("  neighbor \(neighbour.address) as \(neighbour.asn ?? bgp.asn);")
      if neighbour.role == .client { line("  rr client;") }
      line("}")
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// The smallest main config around a fragment, for parse-checking it alone.
  public static func wrapper(including path: String, routerID: IPv4Address) -> String {
    "router id \(routerID);\nprotocol device {}\ninclude \"\(path)\";\n"
  }
}
