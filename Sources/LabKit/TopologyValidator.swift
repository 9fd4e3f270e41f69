import RoutedCore

/// Checks that a parsed topology is consistent: names, references, addresses, routes and test steps.
struct TopologyValidator {
  let topology: Topology
  let marks: FieldMarks

  /// Node names become namespace names and bridge port names, which the kernel limits to 15 bytes.
  static let maximumNameLength = 15

  func validate() throws {
    try checkLabName()
    var owners: [String: String] = [:]
    try checkNames(topology.segments.map(\.name), section: "segments", owners: &owners)
    try checkNames(topology.hosts.map(\.name), section: "hosts", owners: &owners)
    for (index, host) in topology.hosts.enumerated() {
      try checkNames(host.guests.map(\.name), section: "hosts[\(index)].guests", owners: &owners)
    }
    try checkNames(topology.machines.map(\.name), section: "machines", owners: &owners)
    var addresses: [IPv4Address: String] = [:]
    for (index, host) in topology.hosts.enumerated() {
      let path = "hosts[\(index)]"
      try checkInterfaces(
        host.interfaces, node: host.name, path: path, reserved: [host.switchConfig.bridge],
        addresses: &addresses)
      try checkRoutes(host.routes, path: path, interfaces: host.interfaces)
      try checkBridge(host.switchConfig.bridge, path: "\(path).switch.bridge")
      if host.switchConfig.bridgeNetfilter != nil, host.switchConfig.kind != .linuxBridge {
        throw marks.error(
          "\(path).switch",
          "bridgeNetfilter is about a Linux bridge (kind: linux-bridge); Open vSwitch frames never reach it"
            + (topology.switchOverride.map { " (switch from \($0))" } ?? ""))
      }
      try checkHook(host.hook, path: "\(path).hook")
      try checkHook(host.intent, path: "\(path).intent")
      for network in host.libvirtNetworks where network.bridge != host.switchConfig.bridge {
        throw marks.error(
          "\(path).hook",
          "libvirt network \(network.name) uses bridge \(network.bridge), but the host's switch is \(host.switchConfig.bridge)"
        )
      }
      try checkGuests(host, path: path, addresses: &addresses)
      try checkLibvirt(host, path: path)
    }
    for (index, machine) in topology.machines.enumerated() {
      try checkInterfaces(
        machine.interfaces, node: machine.name, path: "machines[\(index)]", reserved: [],
        addresses: &addresses)
      try checkRoutes(machine.routes, path: "machines[\(index)]", interfaces: machine.interfaces)
    }
    try TestMatrixValidator(topology: topology, marks: marks).validate()
  }

  private func checkLabName() throws {
    let name = topology.lab
    guard (1...10).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) })
    else {
      throw marks.error(
        "lab", "'\(name)' must be 1 to 10 lowercase letters or digits (it prefixes namespace names)")
    }
  }

  private func checkNames(_ names: [String], section: String, owners: inout [String: String]) throws {
    for (index, name) in names.enumerated() {
      let path = "\(section)[\(index)].name"
      guard name.count <= Self.maximumNameLength, let first = name.first, first.isASCII, first.isLowercase,
        name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
      else {
        throw marks.error(
          path,
          "'\(name)' must start with a lowercase letter and have at most 15 lowercase letters, digits or '-'")
      }
      if let owner = owners[name] { throw marks.error(path, "'\(name)' is already the name of \(owner)") }
      owners[name] = path
    }
  }

  private func checkInterfaceName(_ name: String, path: String) throws {
    guard (1...Self.maximumNameLength).contains(name.count), name.first?.isLetter == true,
      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    else {
      throw marks.error(
        path, "'\(name)' is not a usable interface name (letter first, at most 15 of [A-Za-z0-9_-])")
    }
    guard name != "lo" else { throw marks.error(path, "'lo' is the loopback device") }
  }

  private func checkBridge(_ name: String, path: String) throws {
    try checkInterfaceName(name, path: path)
  }

  private func checkInterfaces(
    _ interfaces: [Attachment], node: String, path: String, reserved: [String],
    addresses: inout [IPv4Address: String]
  ) throws {
    var seen = Set(reserved)
    for (index, interface) in interfaces.enumerated() {
      let itemPath = "\(path).interfaces[\(index)]"
      try checkInterfaceName(interface.name, path: "\(itemPath).name")
      guard seen.insert(interface.name).inserted else {
        throw marks.error("\(itemPath).name", "'\(interface.name)' is used twice in this node")
      }
      guard let segment = topology.segment(named: interface.segment) else {
        let known = topology.segments.map(\.name).joined(separator: ", ")
        throw marks.error(
          "\(itemPath).segment", "unknown segment '\(interface.segment)' (segments: \(known))")
      }
      // The segment's end of the link is named after the node (`node.N` for a second card on one segment).
      let end = BuildPlan.segmentEnd(node: node, attachment: interface, of: interfaces)
      if end.count > Self.maximumNameLength {
        throw marks.error(
          "\(itemPath).segment",
          "a second interface on segment \(segment.name) names its segment end '\(end)', over 15 characters: shorten the node name"
        )
      }
      if let address = interface.address {
        guard segment.subnet.contains(address.address), address.prefixLength >= segment.subnet.prefixLength
        else {
          throw marks.error(
            "\(itemPath).address", "\(address) is not inside segment \(segment.name) (\(segment.subnet))")
        }
        try claim(address.address, path: "\(itemPath).address", addresses: &addresses)
      }
    }
  }

  private func claim(_ address: IPv4Address, path: String, addresses: inout [IPv4Address: String]) throws {
    if let owner = addresses[address] { throw marks.error(path, "\(address) is already used at \(owner)") }
    addresses[address] = path
  }

  private func checkRoutes(_ routes: [Route], path: String, interfaces: [Attachment]) throws {
    let subnets = interfaces.compactMap(\.address)
    for (index, route) in routes.enumerated() {
      let itemPath = "\(path).routes[\(index)]"
      if let via = route.via, !subnets.contains(where: { $0.network.contains(via) }) {
        throw marks.error("\(itemPath).via", "gateway \(via) is not on any of this node's subnets")
      }
      if route.via == nil, route.device == nil, interfaces.count != 1 {
        throw marks.error(itemPath, "an on-link route needs 'dev' when the node has several interfaces")
      }
      if let device = route.device, !interfaces.contains(where: { $0.name == device }) {
        throw marks.error("\(itemPath).dev", "unknown interface '\(device)'")
      }
    }
  }

  private func checkHook(_ hook: HookConfigSource?, path: String) throws {
    guard case .file(let name) = hook else { return }
    let resolved = name.hasPrefix("/") ? name : "\(topology.baseDirectory)/\(name)"
    var isDirectory = false
    guard FileSystem.exists(resolved, isDirectory: &isDirectory), !isDirectory else {
      throw marks.error(path, "hook config file '\(resolved)' does not exist")
    }
  }

  /// A `libvirt: true` host runs real domains on a private OVS, with routed-hook installed as libvirt's hook.
  private func checkLibvirt(_ host: Host, path: String) throws {
    guard host.libvirt else { return }
    guard host.hook != nil else {
      throw marks.error("\(path).libvirt", "a libvirt host needs a hook config: libvirtd calls routed-hook")
    }
    guard host.switchConfig.kind == .ovs else {
      throw marks.error(
        "\(path).switch.kind",
        "a libvirt host's guests attach through an OVS virtualport"
          + (topology.switchOverride.map { " (switch from \($0))" } ?? ""))
    }
    for (index, guest) in host.guests.enumerated() {
      let guestPath = "\(path).guests[\(index)]"
      if guest.attachment == .network, host.libvirtNetwork(bridge: host.switchConfig.bridge) == nil {
        throw marks.error(
          "\(guestPath).attach",
          "attach: network needs a libvirtNetwork for bridge \(host.switchConfig.bridge) in the hook config")
      }
      if guest.domain == .qemu, guest.image == nil {
        throw marks.error(
          guestPath, "a qemu domain needs 'image': the command that builds its kernel and initramfs")
      }
      if guest.domain != .qemu, guest.image != nil {
        throw marks.error("\(guestPath).image", "only a qemu domain boots an image")
      }
      if guest.domain == .qemu, !guest.setup.isEmpty {
        throw marks.error("\(guestPath).setup", "a qemu domain has no namespace to run setup commands in")
      }
    }
  }

  private func checkGuests(_ host: Host, path: String, addresses: inout [IPv4Address: String]) throws {
    var macs: [LabMAC: String] = [:]
    for (index, guest) in host.guests.enumerated() {
      let guestPath = "\(path).guests[\(index)]"
      try claim(guest.address.address, path: "\(guestPath).address", addresses: &addresses)
      if let other = macs[guest.mac] {
        throw marks.error("\(guestPath).mac", "\(guest.mac) is already used by \(other)")
      }
      macs[guest.mac] = guest.name
      if let gateway = guest.gateway, !guest.address.network.contains(gateway) {
        throw marks.error(
          "\(guestPath).gateway", "gateway \(gateway) is not inside the guest's subnet \(guest.address)")
      }
      for (routeIndex, route) in guest.routes.enumerated() {
        if let via = route.via, !guest.address.network.contains(via) {
          throw marks.error(
            "\(guestPath).routes[\(routeIndex)].via", "gateway \(via) is not on the guest's subnet")
        }
        if let device = route.device, device != GuestNIC.name {
          throw marks.error(
            "\(guestPath).routes[\(routeIndex)].dev", "a guest has one NIC, '\(GuestNIC.name)'")
        }
      }
    }
  }
}
