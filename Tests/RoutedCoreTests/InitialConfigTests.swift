@testable import RoutedCore
import Testing

/// `routed-hook init`'s guesses: on the seed lab's LPAR 11 as captured, and on hosts unlike it.
@Suite struct InitialConfigTests {
  typealias Link = HostSnapshot.Link

  static func link(
    _ name: String, _ index: Int, kind: String? = "veth", master: String? = nil, flags: [String] = ["UP"],
    mtu: Int = 1500, _ addresses: [String] = []
  ) -> Link {
    Link(
      name: name, index: index, mtu: mtu, flags: flags, master: master, kind: kind,
      addresses: addresses.map { IPv4Interface($0)! })
  }

  static func route(_ destination: String, via: String? = nil, _ device: String, _ proto: String = "boot")
    -> HostSnapshot.Route
  {
    HostSnapshot.Route(
      destination: IPv4Network(destination)!, gateway: via.map { IPv4Address($0)! }, devices: [device],
      routeProtocol: proto)
  }

  /// The guess must load: `init` writes nothing that `check` would refuse.
  static func load(_ snapshot: HostSnapshot) throws -> (String, HostConfig) {
    let text = try InitialConfig.guess(snapshot, hostName: "test").text
    return (text, try ConfigLoader.load(yaml: text, file: "init.yaml"))
  }

  @Test func seedLPAR11GuessesTheTalksModes() throws {
    // The healthy seed lab, captured: OVS (netdev) br-ex with vnet0/1, osa10, hsi0 with the peer route, osa172.
    let (_, config) = try Self.load(try Fixture.snapshot("healthy-seed-lpar11"))
    let written = Fixture.doctorConfig("seed-lpar11")
    #expect(config.guestNetworks.map(\.bridge) == written.guestNetworks.map(\.bridge))
    #expect(config.guestNetworks.map(\.gateway) == written.guestNetworks.map(\.gateway))
    #expect(config.guestNetworks.map(\.mtu) == written.guestNetworks.map(\.mtu))
    let modes = config.uplinks.map { "\($0.interface) \($0.mode.rawValue)" }
    #expect(modes == written.uplinks.map { "\($0.interface) \($0.mode.rawValue)" })
    #expect(modes == ["osa10 proxy-arp", "hsi0 routed", "osa172 nat"])
    #expect(config.uplinks.first { $0.interface == "hsi0" }?.peers.map { "\($0.subnet) via \($0.via)" } == ["10.136.12.0/24 via 172.31.56.2"])
  }

  @Test func aBridgesGlobalIPv6AddressBecomesGateway6() throws {
    var snapshot = try Fixture.snapshot("healthy-seed-lpar11")
    typealias Address = HostSnapshot.IPv6State.Address
    snapshot.ipv6 = HostSnapshot.IPv6State(addresses: [
      Address(interface: "br-ex", address: IPv6Interface("fe80::1/64")!, flags: ["permanent"]),
      Address(interface: "br-ex", address: IPv6Interface("fd00:10::136:11:fffe/112")!, flags: ["permanent"]),
      Address(interface: "osa10", address: IPv6Interface("fd00:10::131:11:254/64")!),
    ])
    let (text, config) = try Self.load(snapshot)
    #expect(config.guestNetworks.map { $0.gateway6.map { "\($0)" } } == ["fd00:10::136:11:fffe/112"])
    #expect(text.contains("    gateway6: fd00:10::136:11:fffe/112  # check: br-ex's IPv6 address"), "\(text)")

    // Only link-local, a /48 or a failed address: no gateway6, and the guess still loads.
    snapshot.ipv6 = HostSnapshot.IPv6State(addresses: [
      Address(interface: "br-ex", address: IPv6Interface("fe80::1/64")!),
      Address(interface: "br-ex", address: IPv6Interface("fd00:136::1/48")!),
      Address(interface: "br-ex", address: IPv6Interface("fd00:136:11::1/64")!, flags: ["dadfailed", "tentative"]),
    ])
    let (plain, ipv4Only) = try Self.load(snapshot)
    #expect(ipv4Only.guestNetworks.allSatisfy { $0.gateway6 == nil })
    #expect(!plain.contains("gateway6"))
  }

  @Test func everyGuessIsMarkedCheck() throws {
    let (text, _) = try Self.load(try Fixture.snapshot("healthy-seed-lpar11"))
    let modes = text.split(separator: "\n").filter { $0.contains("mode:") }
    #expect(modes.count == 3)
    #expect(modes.allSatisfy { $0.contains("# check") })
  }

  @Test func twoInterfacesInTheGuestsSubnetGetNoProxyARP() throws {
    // The talk's first pitfall: proxy-arp on one of two interfaces in one subnet kills that net.
    let snapshot = HostSnapshot(links: [
      Self.link("br0", 2, kind: "bridge", mtu: 9000, ["10.136.11.254/24"]),
      Self.link("vnet0", 3, kind: "tun", master: "br0"),
      Self.link("eth0", 4, kind: nil, ["10.131.11.254/8"]),
      Self.link("eth1", 5, kind: nil, ["10.131.12.254/8"]),
    ])
    let (text, config) = try Self.load(snapshot)
    #expect(config.uplinks.map(\.mode) == [.routed, .routed])
    #expect(text.contains("but eth1 shares it"))
  }

  @Test func aBridgeWithAPhysicalPortIsAnUplinkNotAGuestNetwork() throws {
    let snapshot = HostSnapshot(
      links: [
        Self.link("br0", 2, kind: "bridge", ["192.168.1.10/24"]),
        Self.link("enp1s0", 3, kind: nil, master: "br0"),
        Self.link("br-guests", 4, kind: "bridge", mtu: 9000, ["10.136.11.254/24"]),
        Self.link("vnet0", 5, kind: "tun", master: "br-guests"),
        Self.link("hsi0", 6, kind: nil, flags: ["UP", "NOARP"], mtu: 57344, ["172.31.56.1/24"]),
      ],
      routes: [Self.route("0.0.0.0/0", via: "192.168.1.1", "br0")])
    let (text, config) = try Self.load(snapshot)
    #expect(config.guestNetworks.map(\.bridge) == ["br-guests"])
    #expect(config.guestNetworks.first?.mtu == 9000)
    #expect(config.uplinks.map { "\($0.interface) \($0.mode.rawValue) \($0.layer)" } == ["br0 nat 2", "hsi0 routed 3"])
    #expect(text.contains("the default route"))
  }

  @Test func foreignAndAddresslessBridgesAreLeftOutAndSaidSo() throws {
    let snapshot = HostSnapshot(links: [
      Self.link("virbr0", 2, kind: "bridge", ["192.168.122.1/24"]),
      Self.link("br-new", 3, kind: "bridge"),
      Self.link("eth0", 4, kind: nil, ["10.0.0.5/8"]),
    ])
    #expect(throws: InitialConfig.NoGuestNetwork.self) { try InitialConfig.guess(snapshot, hostName: "test") }
    do {
      _ = try InitialConfig.guess(snapshot, hostName: "test")
    } catch {
      #expect("\(error)".contains("virbr0: a libvirt NAT network's bridge"))
      #expect("\(error)".contains("br-new: a bridge without physical ports but without an IPv4 address"))
    }
  }

  @Test func interfaceNamesBecomeValidUplinkNames() throws {
    let snapshot = HostSnapshot(links: [
      Self.link("br0", 2, kind: "bridge", ["10.136.11.254/24"]),
      Self.link("eth0.100", 3, kind: "vlan", ["172.18.0.11/15"]),
      Self.link("1gbe", 4, kind: nil, ["192.168.7.2/24"]),
    ])
    let (_, config) = try Self.load(snapshot)
    #expect(config.uplinks.map(\.name) == ["eth0-100", "if-1gbe"])
    #expect(config.guestNetworks.first?.uplinks == ["eth0-100", "if-1gbe"])
  }
}
