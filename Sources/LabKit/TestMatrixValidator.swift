import RoutedCore

/// Checks that every test phase names nodes, interfaces, guests and phases that exist.
struct TestMatrixValidator {
  let topology: Topology
  let marks: FieldMarks

  func validate() throws {
    var phaseNames: [String] = []
    for (index, phase) in topology.tests.enumerated() {
      let path = "tests[\(index)]"
      if phaseNames.contains(phase.name) {
        throw marks.error("\(path).phase", "phase '\(phase.name)' is defined twice")
      }
      for (repeatIndex, name) in phase.repeats.enumerated() where !phaseNames.contains(name) {
        let repeatPath = phase.repeats.count == 1 ? "\(path).repeat" : "\(path).repeat[\(repeatIndex)]"
        throw marks.error(repeatPath, "'\(name)' is not an earlier phase")
      }
      phaseNames.append(phase.name)
      for (actionIndex, action) in phase.actions.enumerated() {
        try check(action, path: "\(path).do[\(actionIndex)]")
      }
      for (expectIndex, expectation) in phase.expectations.enumerated() {
        try check(expectation.kind, path: "\(path).expect[\(expectIndex)]")
      }
    }
  }

  private func check(_ action: LabAction, path: String) throws {
    switch action {
    case .start(let guest): try requireGuest(guest, path: "\(path).start")
    case .stop(let guest): try requireGuest(guest, path: "\(path).stop")
    case .shutdown(let guest): try requireGuest(guest, path: "\(path).shutdown")
    case .restartDaemon(let host): try requireHook(host, path: "\(path).restartDaemon")
    case .migrate(let guest, let host, _, let measure):
      try requireGuest(guest, path: "\(path).migrate")
      for (index, node) in measure.enumerated() where !topology.nodeNames.contains(node) {
        throw marks.error("\(path).measure[\(index)]", "unknown node '\(node)'")
      }
      if topology.guest(named: guest)?.domain != nil {
        throw marks.error(
          "\(path).migrate", "\(guest) is a real libvirt domain; the lab migrates only its own guests")
      }
      try requireHook(host, path: "\(path).to")
      let from = topology.guest(named: guest)!.host
      guard topology.host(named: host)?.switchConfig.kind == topology.host(named: from)?.switchConfig.kind
      else {
        throw marks.error("\(path).to", "\(host)'s switch is not of the same kind as \(from)'s")
      }
    case .hotplug(let guest, let mac, _):
      try requireGuest(guest, path: "\(path).hotplug")
      let host = topology.guest(named: guest)!.host
      if topology.host(named: host)?.libvirtNetworks.isEmpty != false
        || topology.host(named: host)?.hook == nil
      {
        throw marks.error(
          "\(path).hotplug",
          "\(guest)'s host \(host) declares no libvirtNetwork in its hook config: without the network hook nothing sees a hotplug"
        )
      }
      if let owner = topology.guests.first(where: { $0.mac == mac }) {
        throw marks.error("\(path).mac", "\(mac) is already \(owner.name)'s NIC")
      }
    case .unplug(let guest, _):
      try requireGuest(guest, path: "\(path).unplug")
    case .exec(let node, _):
      guard topology.nodeNames.contains(node) else {
        throw marks.error("\(path).exec", "unknown node '\(node)'")
      }
      if topology.guest(named: node)?.domain == .qemu {
        throw marks.error("\(path).exec", "\(node) is a qemu domain: no namespace to run commands in")
      }
    case .killDrill(let guest, _, let byWatch):
      try requireGuest(guest, path: "\(path).killDrill")
      guard topology.guest(named: guest)?.domain == .lxc else {
        throw marks.error("\(path).killDrill", "the kill drill runs an LXC guest of a libvirt: true host")
      }
      if byWatch, let host = topology.guest(named: guest)?.host { try requireWatch(host, path: "\(path).byWatch") }
    case .damage(let host, let damage, _):
      try requireWatch(host, path: "\(path).damage")
      if case .recreate(let interface) = damage,
        !(topology.host(named: host)?.interfaces.contains { $0.name == interface } ?? false)
      {
        throw marks.error("\(path).recreate", "\(host) has no interface '\(interface)'")
      }
    case .flushStorm(let host, _, _):
      try requireWatch(host, path: "\(path).flushStorm")
    case .watch(let host, let operation):
      try requireWatch(host, path: "\(path).\(operation == .kill ? "killWatch" : "startWatch")")
    case .crashDaemon(let host, let guest):
      try requireGuest(guest, path: "\(path).during")
      guard topology.host(named: host)?.libvirt == true, topology.guest(named: guest)?.host == host else {
        throw marks.error(
          "\(path).crashDaemon", "crashDaemon needs a libvirt: true host and one of its guests")
      }
    case .reconcile(let host):
      try requireHook(host, path: "\(path).reconcile")
      guard topology.host(named: host)?.libvirt == true else {
        throw marks.error("\(path).reconcile", "reconcile asks libvirt: \(host) needs libvirt: true")
      }
    case .bird(let host, let operation):
      let verb =
        switch operation {
        case .kill: "killBird"
        case .stop: "stopBird"
        case .start: "startBird"
        }
      guard topology.host(named: host)?.bgp != nil else {
        throw marks.error("\(path).\(verb)", "\(host) runs no BIRD: its hook config has no bgp: section")
      }
    }
  }

  private func check(_ kind: ExpectationKind, path: String) throws {
    switch kind {
    case .reach(let from, let to, let probes, _, let expected, let size):
      let key = expected ? "reach" : "noReach"
      try requireNode(from, path: "\(path).\(key).from")
      if topology.guest(named: from)?.domain == .qemu, probes != [.ping] || size != nil {
        throw marks.error(
          "\(path).\(key).from", "a qemu domain probes by plain ping over its serial console only")
      }
      if case .node(let name) = to, topology.guest(named: name)?.domain == .qemu, probes.contains(.tcp) {
        throw marks.error(
          "\(path).\(key).to", "\(name) is a qemu domain with no TCP server: use probes: [ping]")
      }
      try requireTarget(to, path: "\(path).\(key).to")
    case .arp(let from, let target, let answeredBy):
      try requireShellNode(from, path: "\(path).arp.from")
      try requireTarget(target, path: "\(path).arp.for")
      for ref in answeredBy { try requireInterface(ref, path: "\(path).arp.answeredBy") }
    case .nat(let from, let to, let source, _):
      try requireShellNode(from, path: "\(path).nat.from")
      try requireTarget(to, path: "\(path).nat.to")
      try requireInterface(source, path: "\(path).nat.source")
      if address(of: source) == nil { throw marks.error("\(path).nat.source", "\(source) has no address") }
    case .path(let from, let to, let via, let notVia, _):
      try requireShellNode(from, path: "\(path).path.from")
      try requireTarget(to, path: "\(path).path.to")
      for ref in via { try requireInterface(ref, path: "\(path).path.via") }
      for ref in notVia { try requireInterface(ref, path: "\(path).path.notVia") }
    case .pmtu(let from, let to, _, _):
      try requireShellNode(from, path: "\(path).pmtu.from")
      try requireTarget(to, path: "\(path).pmtu.to")
    case .bgp(let host, _, let learns, let lacks, _):
      guard topology.host(named: host)?.bgp != nil else {
        throw marks.error("\(path).bgp.host", "\(host) runs no BIRD: its hook config has no bgp: section")
      }
      for guest in learns { try requireGuest(guest, path: "\(path).bgp.learns") }
      for guest in lacks { try requireGuest(guest, path: "\(path).bgp.lacks") }
    case .hookStatus(let host, let lists, let lacks):
      try requireHook(host, path: "\(path).hookStatus.host")
      for guest in lists { try requireGuest(guest, path: "\(path).hookStatus.lists") }
      for guest in lacks { try requireGuest(guest, path: "\(path).hookStatus.lacks") }
    case .libvirtLog(let host, _), .hookMatchesLibvirt(let host):
      guard topology.host(named: host)?.libvirt == true else {
        let key = if case .libvirtLog = kind { "libvirtLog.host" } else { "hookMatchesLibvirt" }
        throw marks.error("\(path).\(key)", "'\(host)' is not a host with libvirt: true")
      }
    case .gone(let guest):
      try requireGuest(guest, path: "\(path).gone")
    case .goneAddress(let host, _):
      try requireHook(host, path: "\(path).gone.host")
    case .drops(let from, let to, _, let on):
      try requireShellNode(from, path: "\(path).drops.from")
      try requireTarget(to, path: "\(path).drops.to")
      for ref in on { try requireInterface(ref, path: "\(path).drops.on") }
    case .doctor(let host, _, _, _):
      guard topology.host(named: host) != nil else {
        throw marks.error("\(path).doctor.host", "unknown host '\(host)'")
      }
    case .refused(let host, let guest, let config, let peer, _):
      if config == nil {
        try requireConfig(host, path: "\(path).refused.host")
      } else if topology.host(named: host) == nil {
        throw marks.error("\(path).refused.host", "unknown host '\(host)'")
      }
      if let guest { try requireGuest(guest, path: "\(path).refused.guest") }
      if let peer { try requireConfig(peer, path: "\(path).refused.peer") }
    case .initConfig(let host):
      try requireConfig(host, path: "\(path).init.host")
    case .watching(let host, _):
      try requireWatch(host, path: "\(path).watching")
    case .ipv6(let row):
      try check(row, path: path)
    }
  }

  private func requireWatch(_ host: String, path: String) throws {
    guard topology.host(named: host)?.watch == true else {
      throw marks.error(path, "'\(host)' is not a host with watch: true")
    }
  }

  private func check(_ row: IPv6Expectation, path: String) throws {
    func target(_ target: Target6, _ key: String) throws {
      switch target {
      case .address: return
      case .node(let name):
        try requireNode(name, path: key)
        if topology.primaryAddress6(of: name) == nil { throw marks.error(key, "\(name) has no IPv6 address") }
      case .interface(let ref):
        try requireInterface(ref, path: key)
        let has =
          topology.guest(named: ref.node)?.address6 != nil
          || topology.attachments(of: ref.node).contains { $0.name == ref.interface && $0.address6 != nil }
        if !has { throw marks.error(key, "\(ref) has no IPv6 address") }
      }
    }
    switch row {
    case .reach(let from, let to, _, let expected):
      let key = expected ? "reach6" : "noReach6"
      try requireShellNode(from, path: "\(path).\(key).from")
      try target(to, "\(path).\(key).to")
    case .nat(let from, let to, let source):
      try requireShellNode(from, path: "\(path).nat6.from")
      try target(to, "\(path).nat6.to")
      try target(.interface(source), "\(path).nat6.source")
    case .ndp(let from, let to, let answeredBy):
      try requireShellNode(from, path: "\(path).ndp.from")
      try target(to, "\(path).ndp.for")
      for ref in answeredBy { try requireInterface(ref, path: "\(path).ndp.answeredBy") }
    case .spoof(let from, let to, _):
      try requireGuest(from, path: "\(path).spoof6.from")
      try target(.node(from), "\(path).spoof6.from")
      try target(to, "\(path).spoof6.to")
    case .dad(let guest, _, _):
      try requireGuest(guest, path: "\(path).dad.guest")
    case .entry(let on, let to, let holds):
      try requireShellNode(on, path: "\(path).neighbour6.on")
      try target(to, "\(path).neighbour6.for")
      try requireInterface(holds, path: "\(path).neighbour6.holds")
    }
  }

  private func requireNode(_ name: String, path: String) throws {
    guard
      topology.host(named: name) != nil || topology.guest(named: name) != nil
        || topology.machine(named: name) != nil
    else { throw marks.error(path, "unknown node '\(name)' (a host, guest or machine)") }
  }

  /// A node the lab can run probe tools in: anything but a qemu domain, which has no namespace of its own.
  private func requireShellNode(_ name: String, path: String) throws {
    try requireNode(name, path: path)
    if topology.guest(named: name)?.domain == .qemu {
      throw marks.error(path, "\(name) is a qemu domain: it can only be the source of a plain ping")
    }
  }

  private func requireGuest(_ name: String, path: String) throws {
    guard topology.guest(named: name) != nil else { throw marks.error(path, "unknown guest '\(name)'") }
  }

  private func requireHook(_ name: String, path: String) throws {
    guard let host = topology.host(named: name) else { throw marks.error(path, "unknown host '\(name)'") }
    guard host.hook != nil else { throw marks.error(path, "host '\(name)' has no hook config") }
  }

  /// A host with a routed-hook config of some kind: the one it runs (hook:) or its intent (intent:).
  private func requireConfig(_ name: String, path: String) throws {
    guard let host = topology.host(named: name) else { throw marks.error(path, "unknown host '\(name)'") }
    guard host.config != nil else {
      throw marks.error(path, "host '\(name)' has neither a hook config nor an intent config")
    }
  }

  private func requireTarget(_ target: Target, path: String) throws {
    switch target {
    case .node(let name):
      try requireNode(name, path: path)
      guard topology.primaryAddress(of: name) != nil else {
        throw marks.error(path, "node '\(name)' has no address")
      }
    case .interface(let ref):
      try requireInterface(ref, path: path)
      guard address(of: ref) != nil else { throw marks.error(path, "\(ref) has no address") }
    case .address:
      break
    }
  }

  private func requireInterface(_ ref: InterfaceRef, path: String) throws {
    try requireNode(ref.node, path: path)
    guard interfaceNames(of: ref.node).contains(ref.interface) else {
      let known = interfaceNames(of: ref.node).joined(separator: ", ")
      throw marks.error(path, "node '\(ref.node)' has no interface '\(ref.interface)' (it has: \(known))")
    }
  }

  private func interfaceNames(of node: String) -> [String] {
    if topology.guest(named: node) != nil { return [GuestNIC.name] }
    if let host = topology.host(named: node) {
      return host.interfaces.map(\.name) + [host.switchConfig.bridge]
    }
    return topology.attachments(of: node).map(\.name)
  }

  private func address(of ref: InterfaceRef) -> IPv4Address? {
    if let guest = topology.guest(named: ref.node) { return guest.address.address }
    return topology.attachments(of: ref.node).first { $0.name == ref.interface }?.address?.address
  }
}
