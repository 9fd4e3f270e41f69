import Foundation
import Yams

/// Reads a topology file into a `Topology`, rejecting anything malformed or inconsistent with line and field.
public enum TopologyParser {
  /// Parses and validates a topology file from disk, with every host's switch replaced by `override`.
  public static func load(path: String, override: SwitchOverride? = nil) throws -> Topology {
    guard let data = FileManager.default.contents(atPath: path),
      let text = String(data: data, encoding: .utf8)
    else {
      throw TopologyError(file: path, line: 0, column: 0, field: "", message: "cannot read the file")
    }
    let directory = (path as NSString).deletingLastPathComponent
    return try parse(text, file: path, baseDirectory: directory.isEmpty ? "." : directory, override: override)
  }

  /// Parses and validates topology text; `file` only labels errors, `baseDirectory` resolves hook config paths.
  public static func parse(
    _ text: String, file: String = "topology.yaml", baseDirectory: String = ".",
    override: SwitchOverride? = nil
  ) throws -> Topology {
    let root: Node
    do {
      guard let node = try Yams.compose(yaml: text) else {
        throw TopologyError(file: file, line: 1, column: 1, field: "", message: "the file is empty")
      }
      root = node
    } catch let error as YamlError {
      throw yamlSyntaxError(error, file: file)
    }
    let top = try TopologyField(node: root, path: "", file: file).mapping(
      allowed: [
        "lab", "segments", "hosts", "machines", "tests", "bench",
      ], extensions: true)
    var topology = Topology(lab: try top.required("lab").string(), baseDirectory: baseDirectory)
    topology.segments = try top["segments"]?.list().map(segment) ?? []
    topology.hosts = try top["hosts"]?.list().map { try host($0, baseDirectory: baseDirectory) } ?? []
    topology.machines = try top["machines"]?.list().map(machine) ?? []
    topology.tests = try top["tests"]?.list().map(phase) ?? []
    topology.bench = try top["bench"].map { try BenchSpec.parse($0, topology: topology) }
    if let override {
      for index in topology.hosts.indices { override.apply(to: &topology.hosts[index]) }
      topology.switchOverride = override
    }
    try TopologyValidator(topology: topology, marks: FieldMarks(root: root, file: file)).validate()
    return topology
  }

  private static func yamlSyntaxError(_ error: YamlError, file: String) -> TopologyError {
    switch error {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      let prefix = context.map { "\($0.text) " } ?? ""
      return TopologyError(
        file: file, line: mark.line, column: mark.column, field: "",
        message: "YAML syntax: \(prefix)\(problem)")
    default:
      return TopologyError(file: file, line: 1, column: 1, field: "", message: "YAML syntax: \(error)")
    }
  }

  private static func segment(_ field: TopologyField) throws -> Segment {
    let map = try field.mapping(allowed: ["name", "subnet", "mtu", "scenario", "label", "arp"])
    return Segment(
      name: try map.required("name").string(), subnet: try map.required("subnet").subnet(),
      mtu: try map["mtu"]?.int(in: 68...65535) ?? 1500, scenario: try map["scenario"]?.string(),
      label: try map["label"]?.string(), arp: try map["arp"]?.bool() ?? true)
  }

  private static func attachment(_ field: TopologyField) throws -> Attachment {
    let map = try field.mapping(allowed: ["name", "segment", "address", "address6", "mtu", "segmentMtu"])
    return Attachment(
      name: try map.required("name").string(), segment: try map.required("segment").string(),
      address: try map["address"]?.cidr(), address6: try map["address6"]?.cidr6(),
      mtu: try map["mtu"]?.int(in: 68...65535), segmentMtu: try map["segmentMtu"]?.int(in: 68...65535))
  }

  private static func route(_ field: TopologyField) throws -> Route {
    let map = try field.mapping(allowed: ["to", "via", "dev"])
    let toField = try map.required("to")
    let to = try toField.string() == "default" ? nil : try toField.subnet()
    return Route(to: to, via: try map["via"]?.address(), device: try map["dev"]?.string())
  }

  /// A routed-hook config: a mapping written inline, or a file name beside the topology.
  static func configSource(_ field: TopologyField) throws -> HookConfigSource {
    switch field.node {
    case .scalar: return .file(try field.string())
    case .mapping: return .inline(try Yams.serialize(node: field.node))
    default:
      throw field.error("expected a routed-hook config as a mapping, or a file name beside the topology")
    }
  }

  /// A `setup:` list: shell command lines, run in order inside the node's namespace.
  private static func commands(_ field: TopologyField) throws -> [String] {
    try field.list().map { try $0.string() }
  }

  private static func host(_ field: TopologyField, baseDirectory: String) throws -> Host {
    let map = try field.mapping(allowed: [
      "name", "label", "switch", "interfaces", "routes", "hook", "intent", "guests", "setup", "libvirt", "watch",
    ])
    let name = try map.required("name").string()
    var host = Host(name: name, label: try map["label"]?.string())
    host.libvirt = try map["libvirt"]?.bool() ?? false
    host.watch = try map["watch"]?.bool() ?? false
    if host.watch, map["hook"] == nil {
      throw map["watch"]!.error("watch: true runs routed-hook watch with the host's hook: config; \(name) has none")
    }
    if let switchField = map["switch"] {
      let switchMap = try switchField.mapping(allowed: ["kind", "bridge", "mtu", "bridgeNetfilter"])
      var config = Switch()
      if let kindField = switchMap["kind"] {
        let text = try kindField.string()
        guard let kind = SwitchKind(rawValue: text) else {
          throw kindField.error("'\(text)' is not a switch kind (ovs or linux-bridge)")
        }
        config.kind = kind
      }
      config.bridge = try switchMap["bridge"]?.string() ?? config.bridge
      config.mtu = try switchMap["mtu"]?.int(in: 68...65535) ?? config.mtu
      config.bridgeNetfilter = try switchMap["bridgeNetfilter"]?.bool()
      host.switchConfig = config
    }
    host.interfaces = try map["interfaces"]?.list().map(attachment) ?? []
    host.routes = try map["routes"]?.list().map(route) ?? []
    if let hookField = map["hook"] {
      host.hook = try configSource(hookField)
      host.libvirtNetworks = LibvirtNetworks.declared(in: host.hook, baseDirectory: baseDirectory)
      host.bgp = BGPSessions.declared(in: host.hook, baseDirectory: baseDirectory)
    }
    if let intentField = map["intent"] {
      if map["hook"] != nil {
        throw intentField.error("a host runs routed-hook (hook:) or was built by hand (intent:), not both")

      }
      host.intent = try configSource(intentField)
    }
    host.setup = try map["setup"].map(commands) ?? []
    let guestFields = try map["guests"]?.list() ?? []
    host.guests = try guestFields.enumerated().map { index, guestField in
      try guest(guestField, host: name, switchMtu: host.switchConfig.mtu, tap: "vnet\(index)")
    }
    try realDomains(guestFields, host: &host)
    return host
  }

  static let guestKeys = [
    "name", "address", "address6", "mac", "gateway", "gateway6", "routes", "mtu", "portMtu", "autostart", "setup",
    "domain", "attach", "image",
  ]

  private static func guest(_ field: TopologyField, host: String, switchMtu: Int, tap: String) throws -> Guest {
    let map = try field.mapping(allowed: guestKeys)
    var guest = Guest(
      name: try map.required("name").string(), host: host, address: try map.required("address").cidr(),
      mac: try map["mac"]?.mac(), gateway: try map["gateway"]?.address(),
      routes: try map["routes"]?.list().map(route) ?? [],
      mtu: try map["mtu"]?.int(in: 68...65535) ?? switchMtu,
      portMtu: try map["portMtu"]?.int(in: 68...65535), autostart: try map["autostart"]?.bool() ?? true,
      tap: tap)
    guest.setup = try map["setup"].map(commands) ?? []
    guest.address6 = try map["address6"]?.cidr6()
    guest.gateway6 = try map["gateway6"]?.address6()
    if guest.gateway6 != nil, guest.address6 == nil, let field = map["gateway6"] {
      throw field.error("gateway6 needs the guest's address6")
    }
    return guest
  }

  /// `domain:`, `attach:` and `image:` of a `libvirt: true` host's guests; elsewhere the lab plays libvirt and
  /// these keys mean nothing, so they are refused.
  private static func realDomains(_ fields: [TopologyField], host: inout Host) throws {
    for (index, field) in fields.enumerated() {
      let map = try field.mapping(allowed: guestKeys)
      let keys = ["domain", "attach", "image"].filter { map[$0] != nil }
      guard host.libvirt else {
        if let key = keys.first {
          throw map[key]!.error("'\(key)' needs a host with libvirt: true")
        }
        continue
      }
      var guest = host.guests[index]
      guest.domain = .lxc
      if let domainField = map["domain"] {
        let text = try domainField.string()
        guard let kind = DomainKind(rawValue: text) else {
          throw domainField.error("'\(text)' is not a domain kind (lxc or qemu)")
        }
        guest.domain = kind
      }
      if let attachField = map["attach"] {
        let text = try attachField.string()
        guard let attachment = NICAttachment(rawValue: text) else {
          throw attachField.error("'\(text)' is not a NIC attachment (bridge or network)")
        }
        guest.attachment = attachment
      }
      guest.image = try map["image"]?.string()
      host.guests[index] = guest
    }
  }

  private static func machine(_ field: TopologyField) throws -> Machine {
    let map = try field.mapping(allowed: ["name", "label", "interfaces", "routes", "setup"])
    return Machine(
      name: try map.required("name").string(), label: try map["label"]?.string(),
      interfaces: try map["interfaces"]?.list().map(attachment) ?? [],
      routes: try map["routes"]?.list().map(route) ?? [], setup: try map["setup"].map(commands) ?? [])
  }

  private static func phase(_ field: TopologyField) throws -> TestPhase {
    let map = try field.mapping(allowed: ["phase", "do", "repeat", "expect"])
    var phase = TestPhase(name: try map.required("phase").string())
    phase.actions = try map["do"]?.list().map(action) ?? []
    phase.repeats = try map["repeat"]?.strings() ?? []
    phase.expectations = try map["expect"]?.list().map(ExpectationParser.parse) ?? []
    return phase
  }

  static let actionVerbs = [
    "start", "stop", "shutdown", "restartDaemon", "crashDaemon", "migrate", "hotplug", "unplug", "exec",
    "reconcile", "killDrill", "killBird", "stopBird", "startBird", "damage", "flushStorm", "killWatch",
    "startWatch",
  ]

  private static func action(_ field: TopologyField) throws -> LabAction {
    let map = try field.mapping(
      allowed: actionVerbs + [
        "to", "hold", "mac", "address", "run", "during", "cycles", "measure", "recreate", "within", "count", "cpu",
        "byWatch",
      ])
    let verbs = map.fields.filter { actionVerbs.contains($0.key) }
    guard verbs.count == 1, let (verb, value) = verbs.first else {
      throw field.error(
        "an action is exactly one of start: GUEST, stop: GUEST, shutdown: GUEST, restartDaemon: HOST, "
          + "crashDaemon: HOST, killDrill: GUEST, migrate: GUEST, "
          + "hotplug: GUEST, unplug: GUEST, exec: NODE, reconcile: HOST, killBird: HOST, stopBird: HOST, "
          + "startBird: HOST, damage: HOST, flushStorm: HOST, killWatch: HOST, startWatch: HOST")
    }
    let allowed: [String: [String]] = [
      "migrate": ["to", "hold", "measure"], "hotplug": ["mac", "address"], "unplug": ["mac"], "exec": ["run"],
      "crashDaemon": ["during"], "killDrill": ["cycles", "byWatch"], "damage": ["run", "recreate", "within"],
      "flushStorm": ["count", "cpu"],
    ]
    for (key, extra) in map.fields where !actionVerbs.contains(key) && !(allowed[verb] ?? []).contains(key) {
      throw extra.error("\(verb) takes no '\(key)'")
    }
    let name = try value.string()
    switch verb {
    case "start": return .start(guest: name)
    case "stop": return .stop(guest: name)
    case "shutdown": return .shutdown(guest: name)
    case "migrate":
      let measure = try map["measure"]?.strings() ?? []
      if !measure.isEmpty, try map["hold"]?.bool() == true {
        throw map["measure"]!.error("measure: needs the whole migration; it cannot hold in the overlap window")
      }
      return .migrate(
        guest: name, to: try map.required("to").string(), hold: try map["hold"]?.bool() ?? false,
        measure: measure)
    case "hotplug":
      return .hotplug(
        guest: name, mac: try map.required("mac").mac(), address: try map.required("address").cidr())
    case "unplug":
      return .unplug(guest: name, mac: try map.required("mac").mac())
    case "exec":
      return .exec(node: name, command: try map.required("run").string())
    case "reconcile":
      return .reconcile(host: name)
    case "killDrill":
      return .killDrill(
        guest: name, cycles: try map["cycles"]?.int(in: 1...1000) ?? 100, byWatch: try map["byWatch"]?.bool() ?? false)
    case "damage":
      let damage: Damage
      switch (map["run"], map["recreate"]) {
      case (let run?, nil): damage = .command(try run.string())
      case (nil, let recreate?): damage = .recreate(interface: try recreate.string())
      default: throw field.error("damage: HOST takes exactly one of run: COMMAND or recreate: INTERFACE")
      }
      let within = try map["within"]?.int(in: 1...10000) ?? 1000
      return .damage(host: name, damage: damage, within: Double(within) / 1000)
    case "flushStorm":
      let cpu = try map["cpu"]?.int(in: 1...100) ?? 50
      return .flushStorm(host: name, count: try map["count"]?.int(in: 1...10000) ?? 200, cpuShare: Double(cpu) / 100)
    case "killWatch": return .watch(host: name, operation: .kill)
    case "startWatch": return .watch(host: name, operation: .start)
    case "crashDaemon":
      return .crashDaemon(host: name, duringStartOf: try map.required("during").string())
    case "killBird": return .bird(host: name, operation: .kill)
    case "startBird": return .bird(host: name, operation: .start)
    case "stopBird": return .bird(host: name, operation: .stop)
    default: return .restartDaemon(host: name)
    }
  }
}
