import Foundation

/// A routed host in throwaway namespaces, shaped like the talk's LPAR 11 on a Linux bridge:
///
///     guest g1 (10.136.11.5/8) ─┐
///     guest g2 (10.136.11.6/8) ─┤ br-ex 10.136.11.254/24 ┌ osa10 10.131.11.254/8 ── prod 10.0.0.7/8
///     guest g3 (10.136.11.7/8) ─┘        [host]           └ osa172 172.18.0.11/15 ── intranet 172.18.0.1/15
///
/// The hook adds the gateway address, sysctls, rules and routes; the testbed builds only the "hardware".
final class Testbed: @unchecked Sendable {
  let id: String
  let host: String
  let production: String
  let intranet: String
  let guests: [String]
  let scratch: ScratchDirectory
  let configPath: String
  let stateDirectory: String
  /// Both families: guests in the production /64's range fd00:10::136:11:0/112, a /128 each and a default
  /// route via the shared link-local gateway fe80::1; prod fd00:10::7/64; the intranet fd00:172:18::/64.
  let dualStack: Bool

  static let config = """
    routeProtocol: 151
    guestNetworks:
      - name: guests
        bridge: br-ex
        libvirtNetwork: ovs-guests
        gateway: 10.136.11.254/24
        mtu: 9000
        uplinks: [production, intranet]
    uplinks:
      - name: production
        interface: osa10
        mode: proxy-arp
      - name: intranet
        interface: osa172
        mode: nat

    """

  static let dualStackConfig = config.replacingOccurrences(
    of: "    gateway: 10.136.11.254/24\n", with: "    gateway: 10.136.11.254/24\n    gateway6: fd00:10::136:11:fffe/112\n")

  init(guestCount: Int = 3, dualStack: Bool = false) throws {
    self.dualStack = dualStack
    let id = String(UUID().uuidString.prefix(6)).lowercased()
    self.id = id
    host = "rht-\(id)-host"
    production = "rht-\(id)-prod"
    intranet = "rht-\(id)-intra"
    guests = (1...guestCount).map { "rht-\(id)-g\($0)" }
    scratch = try ScratchDirectory()
    configPath = try scratch.write("routed-hook.yaml", dualStack ? Testbed.dualStackConfig : Testbed.config)
    stateDirectory = scratch.url.appendingPathComponent("state").path
    do { try build() } catch {
      destroy()
      throw error
    }
  }

  private func build() throws {
    for namespace in [host, production, intranet] + guests {
      try Shell.run(["ip", "netns", "add", namespace])
      try Shell.inNamespace(namespace, ["ip", "link", "set", "lo", "up"])
    }
    try Shell.inNamespace(host, ["ip", "link", "add", "br-ex", "type", "bridge"])
    try Shell.inNamespace(host, ["ip", "link", "set", "br-ex", "mtu", "9000", "up"])
    for (index, guest) in guests.enumerated() {
      let port = "vnet\(index)"
      try Shell.run([
        "ip", "-n", host, "link", "add", port, "mtu", "9000", "type", "veth", "peer", "eth0", "netns", guest,
      ])
      try Shell.run(["ip", "-n", host, "link", "set", port, "master", "br-ex", "up"])
      try Shell.run([
        "ip", "-n", guest, "link", "set", "eth0", "address", Testbed.mac(index), "mtu", "9000", "up",
      ])
      try Shell.run(["ip", "-n", guest, "address", "add", "\(Testbed.address(index))/8", "dev", "eth0"])
      try Shell.run([
        "ip", "-n", guest, "route", "add", "default", "via", "10.136.11.254", "dev", "eth0", "onlink",
      ])
      try Shell.run(["ip", "-n", guest, "route", "add", "172.18.0.0/15", "dev", "eth0"])
      if dualStack {
        // With DAD, as a guest does it: the test sees whether anything on the host answers for it.
        try Shell.run(["ip", "-n", guest, "-6", "address", "add", "\(Testbed.address6(index))/128", "dev", "eth0"])
        try Shell.run(["ip", "-n", guest, "-6", "route", "add", "default", "via", "fe80::1", "dev", "eth0"])
      }
    }
    try link(host, "osa10", "10.131.11.254/8", production, "eth0", "10.0.0.7/8")
    try link(host, "osa172", "172.18.0.11/15", intranet, "eth0", "172.18.0.1/15")
    if dualStack {
      for (namespace, address) in [
        (host, "fd00:10::131:11:254/64"), (production, "fd00:10::7/64"), (intranet, "fd00:172:18::1/64"),
      ] {
        let device = namespace == host ? "osa10" : "eth0"
        try Shell.run(["ip", "-n", namespace, "-6", "address", "add", address, "dev", device, "nodad"])
      }
      try Shell.run([
        "ip", "-n", host, "-6", "address", "add", "fd00:172:18::11/64", "dev", "osa172", "nodad",
      ])
      try Shell.run(["ip", "-n", intranet, "-6", "route", "add", "fd00:10::/64", "via", "fd00:172:18::11"])
    }
    // The intranet server even knows a way back to the guests: only routed-hook's filter stops it.
    try Shell.run(["ip", "-n", intranet, "route", "add", "10.136.0.0/16", "via", "172.18.0.11"])
  }

  private func link(
    _ a: String, _ aName: String, _ aAddress: String, _ b: String, _ bName: String, _ bAddress: String
  ) throws {
    try Shell.run(["ip", "-n", a, "link", "add", aName, "type", "veth", "peer", bName, "netns", b])
    try Shell.run(["ip", "-n", a, "address", "add", aAddress, "dev", aName])
    try Shell.run(["ip", "-n", b, "address", "add", bAddress, "dev", bName])
    try Shell.run(["ip", "-n", a, "link", "set", aName, "up"])
    try Shell.run(["ip", "-n", b, "link", "set", bName, "up"])
  }

  /// Removes every namespace this testbed made; their links go with them.
  func destroy() {
    for namespace in [host, production, intranet] + guests {
      _ = try? Shell.run(["ip", "netns", "del", namespace], allowFailure: true)
    }
  }

  deinit { destroy() }

  static func mac(_ index: Int) -> String { String(format: "52:54:00:11:00:%02x", 5 + index) }
  static func address(_ index: Int) -> String { "10.136.11.\(5 + index)" }
  static func address6(_ index: Int) -> String { "fd00:10::136:11:\(5 + index)" }
  static func uuid(_ index: Int) -> String { String(format: "6f1c7d1e-2b4a-4c1e-9d55-%012x", index) }
  static func name(_ index: Int) -> String { "guest\(index)" }

  /// A domain XML as libvirt writes it for guest `index`.
  static func domainXML(
    _ index: Int, bridge: String = "br-ex", withTarget: Bool = true, dualStack: Bool = false
  ) -> String {
    """
    <domain type='kvm' id='\(index + 1)'>
      <name>\(name(index))</name>
      <uuid>\(uuid(index))</uuid>
      <metadata>
        <rh:guest xmlns:rh="urn:routed-hook:1">
          <rh:interface mac="\(mac(index))" address="\(address(index))"\(dualStack ? " address6=\"\(address6(index))\"" : "")/>
        </rh:guest>
      </metadata>
      <devices>
        <interface type='bridge'>
          <mac address='\(mac(index))'/>
          <source bridge='\(bridge)'/>
          \(withTarget ? "<target dev='vnet\(index)'/>" : "")
          <model type='virtio'/>
          <alias name='net0'/>
        </interface>
      </devices>
    </domain>
    """
  }

  /// Runs one hook call inside the host namespace, as libvirt would.
  @discardableResult
  func hook(
    _ index: Int, _ op: String, _ subop: String, _ extra: String = "-", xml: String? = nil,
    environment: [String: String] = [:]
  ) throws -> HookProcess.Result {
    try HookProcess.run(
      ["hook", "qemu", Testbed.name(index), op, subop, extra],
      stdin: Data((xml ?? Testbed.domainXML(index, dualStack: dualStack)).utf8),
      environment: ["ROUTED_HOOK_CONFIG": configPath, "ROUTED_HOOK_STATE_DIR": stateDirectory].merging(
        environment
      ) { $1 },
      namespace: host)
  }

  /// Starts one hook call inside the host namespace and returns at once, its output discarded: for tests that
  /// kill it part-way.
  func startHook(_ index: Int, _ op: String, _ subop: String, _ extra: String, withTarget: Bool = true) throws
    -> Process
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = ["netns", "exec", host, HookProcess.binary.path, "hook", "qemu", Testbed.name(index)]
      + [op, subop, extra]
    process.environment = ["ROUTED_HOOK_CONFIG": configPath, "ROUTED_HOOK_STATE_DIR": stateDirectory]
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    try input.fileHandleForWriting.write(contentsOf: Data(Testbed.domainXML(index, withTarget: withTarget).utf8))
    try input.fileHandleForWriting.close()
    return process
  }

  /// libvirt's status files for the network hook: `<libvirtRun>/qemu/NAME.xml`.
  var libvirtRunDirectory: String { scratch.url.appendingPathComponent("libvirt").path }

  /// Writes guest `index`'s live XML where libvirt keeps it, wrapped in <domstatus> as libvirt does.
  func writeStatusFile(_ index: Int) throws {
    let directory = libvirtRunDirectory + "/qemu"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let status =
      "<domstatus state='running' reason='booted' pid='4242'>\n\(Testbed.domainXML(index))\n</domstatus>\n"
    try status.write(toFile: "\(directory)/\(Testbed.name(index)).xml", atomically: true, encoding: .utf8)
  }

  /// `<hookData>` as libvirt's network driver writes it, with a `<networkport>` for guest `index` when given.
  static func hookData(port index: Int? = nil) -> String {
    let port =
      index.map { index in
        """
          <networkport>
            <uuid>\(String(format: "5d1c2b3a-4e5f-6a7b-8c9d-%012x", index))</uuid>
            <owner>
              <name>\(name(index))</name>
              <uuid>\(uuid(index))</uuid>
            </owner>
            <mac address='\(mac(index))'/>
            <virtualport type='openvswitch'>
              <parameters interfaceid='\(String(format: "7a6b5c4d-3e2f-4a0b-9c8d-%012x", index))'/>
            </virtualport>
            <plug type='bridge' bridge='br-ex'/>
          </networkport>

        """
      } ?? ""
    return """
      <hookData>
        <network>
          <name>ovs-guests</name>
          <uuid>4c7e1d2a-9b3f-4e5d-8c6a-1f2e3d4c5b6a</uuid>
          <forward mode='bridge'/>
          <bridge name='br-ex'/>
          <virtualport type='openvswitch'/>
        </network>
      \(port)</hookData>

      """
  }

  /// Runs one network hook call inside the host namespace.
  @discardableResult
  func networkHook(_ op: String, port index: Int? = nil) throws -> HookProcess.Result {
    try HookProcess.run(
      ["hook", "network", "ovs-guests", op, "begin", "-"], stdin: Data(Testbed.hookData(port: index).utf8),
      environment: [
        "ROUTED_HOOK_CONFIG": configPath, "ROUTED_HOOK_STATE_DIR": stateDirectory,
        "ROUTED_HOOK_LIBVIRT_RUN_DIR": libvirtRunDirectory,
      ], namespace: host)
  }

  /// prepare, start, started: exits must all be 0.
  func start(_ index: Int) throws {
    for (op, subop) in [("prepare", "begin"), ("start", "begin"), ("started", "begin")] {
      let result = try hook(index, op, subop)
      guard result.status == 0, result.stdout.isEmpty else {
        throw Shell.Failure(
          description: "\(op) of \(Testbed.name(index)) exited \(result.status): \(result.stderr)")
      }
    }
  }

  /// stopped, release (with the release-time XML, which lacks <target dev>).
  func stop(_ index: Int) throws {
    for (op, subop, extra, target) in [("stopped", "end", "-", true), ("release", "end", "destroyed", false)]
    {
      let result = try hook(
        index, op, subop, extra, xml: Testbed.domainXML(index, withTarget: target, dualStack: dualStack))
      guard result.status == 0, result.stdout.isEmpty else {
        throw Shell.Failure(
          description: "\(op) of \(Testbed.name(index)) exited \(result.status): \(result.stderr)")
      }
    }
  }

  /// `routed-hook status --json` in the host namespace.
  func status() throws -> HookProcess.Result {
    try HookProcess.run(
      ["status", "--json", "--config", configPath, "--state-dir", stateDirectory], namespace: host)
  }

  /// True when any of `count` pings from `namespace` to `address` gets an answer.
  func ping(
    from namespace: String, _ address: String, source: String? = nil, count: Int = 3, size: Int? = nil,
    dontFragment: Bool = false
  ) throws -> Bool {
    var arguments = ["ping", "-n", "-c", "\(count)", "-W", "1", "-i", "0.2"]
    if let source { arguments += ["-I", source] }
    if let size { arguments += ["-s", "\(size)"] }
    if dontFragment { arguments += ["-M", "do"] }
    return try Shell.inNamespace(namespace, arguments + [address], allowFailure: true).status == 0
  }

  /// True when a TCP handshake from `namespace` to `address:port` completes: a listener (`nc -l`) runs in
  /// `server` until the client connects or the attempt is over, and is then ended by its PID. Over IPv6 when
  /// `address` is an IPv6 address.
  func tcpConnects(from namespace: String, to address: String, server: String, port: Int = 5001) throws
    -> Bool
  {
    let family = address.contains(":") ? ["-6"] : []
    let listener = Process()
    listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    listener.arguments = ["netns", "exec", server, "nc"] + family + ["-l", "\(port)"]
    listener.standardInput = FileHandle.nullDevice
    listener.standardOutput = FileHandle.nullDevice
    listener.standardError = FileHandle.nullDevice
    try listener.run()
    defer {
      if listener.isRunning { kill(listener.processIdentifier, SIGKILL) }
      listener.waitUntilExit()
    }
    // Connect only once the socket listens: a refusal would look like a reachable host that said no.
    var listening = false
    for _ in 0..<40 where !listening {
      listening = !(try Shell.inNamespace(server, ["ss", "-Hltn", "sport = :\(port)"]).out.isEmpty)
      if !listening { usleep(50_000) }
    }
    guard listening else { throw Shell.Failure(description: "nc -l \(port) in \(server) never listened") }
    let client = ["nc"] + family + ["-z", "-w", "2", address, "\(port)"]
    return try Shell.inNamespace(namespace, client, allowFailure: true).status == 0
  }

  /// The MAC that answers an ARP request for `address` sent from `namespace`'s eth0, or nil when nobody does.
  func arpAnswer(from namespace: String, for address: String) throws -> String? {
    let result = try Shell.inNamespace(
      namespace, ["arping", "-c", "2", "-w", "2", "-I", "eth0", address], allowFailure: true)
    // iputils arping: "Unicast reply from 10.136.11.5 [AA:BB:CC:DD:EE:FF]  0.6ms"
    guard let line = result.out.split(separator: "\n").first(where: { $0.contains("reply from") }),
      let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]")
    else { return nil }
    return line[line.index(after: open)..<close].lowercased()
  }

  /// The MAC `namespace`'s kernel learns for `address` on eth0 from a fresh neighbour solicitation (its
  /// entry flushed, then one ping to trigger the NS), read back with `ip -j`; nil when nobody answers. A
  /// proxied answer carries no override flag, so the first answer wins: a single MAC is all a LAN host sees.
  /// (ndisc6 ignores proxied advertisements, which is why it is not used here.)
  func ndpAnswer(from namespace: String, for address: String) throws -> String? {
    _ = try Shell.inNamespace(namespace, ["ip", "-6", "neigh", "flush", "to", address], allowFailure: true)
    _ = try Shell.inNamespace(namespace, ["ping", "-n", "-c", "1", "-W", "1", address], allowFailure: true)
    let json = try Shell.inNamespace(namespace, ["ip", "-j", "-6", "neigh", "show", "to", address, "dev", "eth0"]).out
    let entries = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
    return (entries.first?["lladdr"] as? String)?.lowercased()
  }

  /// The MAC of `interface` in `namespace`, read with `ip -j`.
  func mac(of interface: String, in namespace: String) throws -> String {
    let json = try Shell.run(["ip", "-j", "-n", namespace, "link", "show", interface]).out
    let links = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
    return (links.first?["address"] as? String ?? "").lowercased()
  }
}
