/// The BIRD 2 config that shares this host's guest routes with its BGP neighbours (`routed-hook bird-config`).
///
/// Division of labour: routed-hook writes one /32 (and /128) per running guest (protocol `routeProtocol`);
/// BIRD's kernel protocols learn exactly those, BGP announces them, and BIRD installs the neighbours' guest
/// routes as its own (protocol `bird`, 12). Neither ever changes the other's routes. Each family has its own
/// kernel protocol and its own sessions (see `Family`).
public enum BirdConfig {
  public enum Mode: Sendable {
    /// A whole `bird.conf`: router id, logging and the device protocol, then the fragment.
    case full
    /// Only routed-hook's part, to `include` into an existing BIRD config after its `router id` and
    /// `protocol device`. It brings a kernel protocol for `master4` (and `master6` with IPv6 prefixes): BIRD
    /// allows one per kernel table and family.
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
      "# routed-hook writes a /32 route\(bgp.prefixes6.isEmpty ? "" : " (and a /128)") (protocol \(config.routeProtocol)) for every guest that runs on this host."
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
        "# It brings a kernel protocol for master4\(bgp.prefixes6.isEmpty ? "" : " and one for master6"); BIRD allows one per kernel table, so drop or merge yours."
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
    let families = Family.all.filter { !$0.prefixes(bgp).isEmpty }
    line()
    line("# The fleet's guest addresses (bgp.prefixes): only single addresses inside them are announced,")
    line("# accepted from neighbours and installed in the kernel.")
    for family in families {
      let prefixes = family.prefixes(bgp).map { "\($0){\(family.hostLength),\(family.hostLength)}" }
      line("define \(family.guests) = [ \(prefixes.joined(separator: ", ")) ];")
    }
    line()
    line("# A single address of the fleet's guest addresses, of either family.")
    line("function \(prefix)_fleet_net() {")
    if families.count == 2 {
      line("  if net.type = NET_IP6 then return net ~ \(Family.v6.guests);")
    }
    line("  return net ~ \(families[0].guests);")
    line("}")
    line()
    line("# A route routed-hook wrote for a guest that runs here.")
    line("function \(prefix)_guest_route() {")
    line("  return source = RTS_INHERIT && krt_source = \(config.routeProtocol) && \(prefix)_fleet_net();")
    line("}")
    line()
    let arriving = GuestRoutePreference.arriving, moved = GuestRoutePreference.moved
    let normal6 = GuestRoutePreference.kernelDefaultMetric6
    line("# How strongly this host claims a guest, from the metric routed-hook gave its route: normal (IPv4 0;")
    line("# IPv6 \(normal6), the kernel's for 0), or during a live migration arriving (guest still paused here)")
    line("# or moved (resumed here).")
    line("function \(prefix)_arriving() {")
    line("  return krt_metric >= \(arriving.metric) && krt_metric < \(normal6);")
    line("}")
    line("function \(prefix)_claim() {")
    line("  if \(prefix)_arriving() then bgp_local_pref = \(arriving.localPreference);")
    line(
      "  else if krt_metric >= \(moved.metric) && krt_metric < \(arriving.metric) then bgp_local_pref = \(moved.localPreference); # moved"
    )
    line("  else bgp_local_pref = \(GuestRoutePreference.normal.localPreference);")
    line("}")
    for family in families {
      line()
      line("protocol kernel \(prefix)_kernel\(family.suffix) {")
      line("  learn;                # read routes other programs wrote: routed-hook's guest routes")
      line("  scan time 10;         # changes arrive at once over netlink; the scan only double-checks")
      line(
        "  metric \(birdMetric);            # BIRD's own routes; routed-hook's are \(family == .v4 ? "0" : "\(normal6)") (\(moved.metric), \(arriving.metric) during a migration)"
      )
      if bgp.restartTime != nil {
        line(
          "  graceful restart;     # started with -R after `birdc graceful restart`: keep routes until BGP converged"
        )
      }
      line("  \(family.channel) {")
      line("    # A guest that runs here beats a neighbour's announcement of it (BGP: 100), unless it is only")
      line("    # arriving: then the source's announcement stays in use until the guest has moved.")
      line("    preference \(GuestRoutePreference.normal.birdPreference);")
      line("    import filter {")
      line("      if ! \(prefix)_guest_route() then reject;")
      line("      if \(prefix)_arriving() then preference = \(arriving.birdPreference);")
      line("      accept;")
      line("    };")
      line("    # Only neighbours' guest routes go into the kernel; routed-hook's own stay as they are.")
      line("    export filter { if source = RTS_BGP && \(prefix)_fleet_net() then accept; reject; };")
      line("  };")
      line("}")
    }
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
    // One session per neighbour address, carrying that address's family, as Calico's bird.cfg and bird6.cfg
    // do: an IPv6 session's next hops are the hosts' own IPv6 addresses on the link, and a fleet gains IPv6
    // without a change to (and a reset of) its IPv4 sessions.
    for family in families {
      let source: IPAddress? = family == .v4 ? .v4(own.address) : uplink.address6.map { .v6($0.address) }
      let network = family == .v4 ? own.network.description : uplink.address6?.network.description ?? ""
      guard let source, bgp.neighbours.contains(where: { $0.address.isV6 == (family == .v6) }) else { continue }
      line()
      line("# Every \(family.name) session: directly over \(uplink.interface), from \(source).")
      line("template bgp \(prefix)_fleet\(family.suffix) {")
      line("  local \(source) as \(bgp.asn);")
      line("  direct;               # neighbours are on \(network); next hops resolve on the link")
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
      line("  \(family.channel) {")
      line("    import filter { if \(prefix)_fleet_net() then accept; reject; };")
      line("    export filter {")
      line("      if \(prefix)_guest_route() then { \(prefix)_claim(); accept; }")
      line("      # Others' guests: sent on only by a route reflector, to its clients and other reflectors.")
      line("      if source = RTS_BGP && \(prefix)_fleet_net() then accept;")
      line("      reject;")
      line("    };")
      line("  };")
      line("}")
    }
    for neighbour in bgp.neighbours {
      line()
      let comment =
        switch neighbour.role {
        case .peer: (neighbour.asn ?? bgp.asn) == bgp.asn ? "full-mesh peer" : "external peer"
        case .reflector: "route reflector; this host is its client"
        case .client: "client; this host reflects routes to it"
        }
      line("# \(comment)")
      line(
        "protocol bgp \(sessionName(neighbour)) from \(prefix)_fleet\(neighbour.address.isV6 ? Family.v6.suffix : "") {"
      )
      line("  neighbor \(neighbour.address) as \(neighbour.asn ?? bgp.asn);")
      if neighbour.role == .client { line("  rr client;") }
      line("}")
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// BIRD's name for the session to a neighbour: `routed_hook_peer_172_31_56_12`, `routed_hook_peer_fd00_56__12`.
  public static func sessionName(_ neighbour: BGPNeighbour) -> String {
    "\(prefix)_\(neighbour.role.rawValue)_"
      + neighbour.address.description.map { $0 == "." || $0 == ":" ? "_" : $0 }.map(String.init).joined()
  }

  /// What differs between the families' kernel protocols, sessions and prefix sets.
  enum Family: Equatable {
    case v4, v6
    static let all: [Family] = [.v4, .v6]
    var name: String { self == .v4 ? "IPv4" : "IPv6" }
    var channel: String { self == .v4 ? "ipv4" : "ipv6" }
    /// Appended to the kernel protocol's and the session template's names: none for IPv4, whose names
    /// predate IPv6.
    var suffix: String { self == .v4 ? "" : "6" }
    var guests: String { self == .v4 ? "ROUTED_HOOK_GUESTS" : "ROUTED_HOOK_GUESTS6" }
    var hostLength: Int { self == .v4 ? 32 : 128 }
    func prefixes(_ bgp: BGPConfig) -> [String] {
      self == .v4 ? bgp.prefixes4.map(\.description) : bgp.prefixes6.map(\.description)
    }
  }

  /// The smallest main config around a fragment, for parse-checking it alone.
  public static func wrapper(including path: String, routerID: IPv4Address) -> String {
    "router id \(routerID);\nprotocol device {}\ninclude \"\(path)\";\n"
  }
}
