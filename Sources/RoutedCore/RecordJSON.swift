/// A domain record as JSON text and back: what `/run/routed-hook/<uuid>.json` holds.
public enum RecordJSON {
  public static func text(_ record: DomainRecord) -> String {
    let interfaces = record.interfaces.map { nic in
      var members: [(key: String, value: JSON)] = [("mac", .string(nic.mac.description))]
      if let address = nic.address { members.append(("address", .string(address.description))) }
      if let address6 = nic.address6 { members.append(("address6", .string(address6.description))) }
      members += [
        ("network", .string(nic.network)), ("bridge", .string(nic.bridge)),
        ("uplinks", .array(nic.uplinks.map(JSON.string))),
      ]
      return JSON.object(members)
    }
    let objects = record.objects.compactMap(json)
    var members: [(key: String, value: JSON)] = [
      ("domain", .object([("name", .string(record.domain.name)), ("uuid", .string(record.domain.uuid))])),
      ("interfaces", .array(interfaces)), ("objects", .array(objects)),
    ]
    // A normal claim is written as nothing, so records of guests that never migrated read as before.
    if record.preference != .normal {
      members += [
        ("preference", .string(record.preference.rawValue)), ("since", .number(Double(record.since))),
      ]
    }
    return JSON.object(members).text() + "\n"
  }

  /// The record in `bytes`, or nil when they are not one.
  public static func record(_ bytes: [UInt8]) -> DomainRecord? {
    guard let json = JSON.parse(bytes), let name = json["domain"]?["name"]?.string,
      let uuid = json["domain"]?["uuid"]?.string, let interfaceList = json["interfaces"]?.array,
      let objectList = json["objects"]?.array
    else { return nil }
    var interfaces: [ManagedInterface] = []
    for item in interfaceList {
      // Records written before IPv6 always have `address`; an IPv6-only NIC has only `address6`.
      let address = item["address"]?.string.map(IPv4Address.init)
      let address6 = item["address6"]?.string.map(IPv6Address.init)
      guard let mac = item["mac"]?.string.flatMap(MACAddress.init), address != nil || address6 != nil,
        address.map({ $0 != nil }) != false, address6.map({ $0 != nil }) != false,
        let network = item["network"]?.string, let bridge = item["bridge"]?.string,
        let uplinks = item["uplinks"]?.array?.compactMap(\.string)
      else { return nil }
      interfaces.append(
        ManagedInterface(
          mac: mac, address: address ?? nil, address6: address6 ?? nil, network: network, bridge: bridge,
          uplinks: uplinks))
    }
    var objects: [KernelObject] = []
    for item in objectList {
      guard let object = object(item) else { return nil }
      objects.append(object)
    }
    // Records written before migration claims existed have none: normal.
    var preference = GuestRoutePreference.normal
    if let text = json["preference"]?.string {
      guard let known = GuestRoutePreference(rawValue: text) else { return nil }
      preference = known
    }
    // A boot-clock second: never negative, so `now - since` cannot overflow (Int.min would trap `settleMoved`).
    var since = 0
    if let number = json["since"]?.number {
      guard let exact = Int(exactly: number), exact >= 0 else { return nil }
      since = exact
    }
    return DomainRecord(
      domain: DomainIdentity(name: name, uuid: uuid), interfaces: interfaces, objects: objects,
      preference: preference, since: since)
  }

  /// Records hold per-guest objects only: set elements and routes.
  static func json(_ object: KernelObject) -> JSON? {
    switch object {
    case .element(let set, let key, let comment):
      var members: [(key: String, value: JSON)] = [
        ("table", .string(set.table.rawValue)), ("set", .string(set.name)),
        ("address", .string(key.address.description)),
      ]
      if let interface = key.interface { members.append(("interface", .string(interface))) }
      members.append(("comment", .string(comment)))
      return .object([("element", .object(members))])
    case .route(let route):
      var members: [(key: String, value: JSON)] = [("destination", .string(route.destination.description))]
      if let gateway = route.gateway { members.append(("gateway", .string(gateway.description))) }
      members += [("device", .string(route.device)), ("protocol", .number(Double(route.routeProtocol)))]
      if route.metric != 0 { members.append(("metric", .number(Double(route.metric)))) }
      return .object([("route", .object(members))])
    case .neighbour(let neighbour):
      return .object([
        (
          "neighbour",
          .object([
            ("address", .string(neighbour.address.description)), ("device", .string(neighbour.device)),
            ("protocol", .number(Double(neighbour.routeProtocol))),
          ])
        )
      ])
    default:
      return nil
    }
  }

  static func object(_ json: JSON) -> KernelObject? {
    if let element = json["element"] {
      guard let table = element["table"]?.string.flatMap(OwnedTable.init(rawValue:)),
        let name = element["set"]?.string,
        let address = element["address"]?.string.flatMap(IPAddress.init),
        let comment = element["comment"]?.string
      else { return nil }
      let interface = element["interface"]?.string
      let set = OwnedSet(
        table: table, name: name, keyType: .of(address, withInterface: interface != nil))
      return .element(set, SetElementKey(address: address, interface: interface), comment: comment)
    }
    if let route = json["route"] {
      guard let destination = route["destination"]?.string.flatMap(IPNetwork.init),
        let device = route["device"]?.string,
        let proto = route["protocol"]?.number, let routeProtocol = UInt8(exactly: proto)
      else { return nil }
      let gateway = route["gateway"]?.string.flatMap(IPAddress.init)
      var metric: UInt32 = 0
      if let number = route["metric"]?.number {
        guard let exact = UInt32(exactly: number) else { return nil }
        metric = exact
      }
      return .route(
        OwnedRoute(
          destination: destination, gateway: gateway, device: device, routeProtocol: routeProtocol,
          metric: metric))
    }
    if let neighbour = json["neighbour"] {
      guard let address = neighbour["address"]?.string.flatMap(IPv6Address.init),
        let device = neighbour["device"]?.string,
        let proto = neighbour["protocol"]?.number, let routeProtocol = UInt8(exactly: proto)
      else { return nil }
      return .neighbour(ProxyNeighbour(address: address, device: device, routeProtocol: routeProtocol))
    }
    return nil
  }
}
