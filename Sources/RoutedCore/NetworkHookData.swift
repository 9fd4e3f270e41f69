/// What the libvirt network hook passes on stdin: `<hookData><network>…</network>[<networkport>…]</hookData>`.
public struct NetworkHookData: Sendable, Equatable {
  public var networkName: String
  /// `<bridge name=…>`: for `forward mode='bridge'` networks, the existing (OVS) bridge.
  public var bridge: String?
  public var forwardMode: String?
  public var port: NetworkPort?

  /// Parses the hook data; a malformed document or a port without owner or MAC is an error.
  public static func parse(_ data: [UInt8]) throws(DomainXMLError) -> NetworkHookData {
    guard data.count <= DomainXML.maximumSize else {
      throw DomainXMLError(
        "hook data is \(data.count) bytes, over the \(DomainXML.maximumSize >> 20) MiB limit")
    }
    let root = try XMLElementNode.parse(data)
    guard root.name == "hookData" else { throw DomainXMLError("expected <hookData>, found <\(root.name)>") }
    guard let network = root.child("network"), let name = network.child("name")?.text.trimmed, !name.isEmpty
    else {
      throw DomainXMLError("hook data has no <network><name>")
    }
    var port: NetworkPort?
    if let element = root.child("networkport") {
      guard let owner = element.child("owner"), let ownerName = owner.child("name")?.text.trimmed,
        let ownerUUID = owner.child("uuid")?.text.trimmed.lowercased(), UUIDText.isValid(ownerUUID)
      else { throw DomainXMLError("network \(name): <networkport> has no valid <owner> name and uuid") }
      guard let macText = element.child("mac")?.attribute("address"), let mac = MACAddress(macText) else {
        throw DomainXMLError("network \(name): <networkport> of \(ownerName) has no valid <mac address>")
      }
      port = NetworkPort(
        uuid: element.child("uuid")?.text.trimmed.lowercased() ?? "",
        owner: DomainIdentity(name: ownerName, uuid: ownerUUID), mac: mac,
        bridge: element.child("plug")?.attribute("bridge"))
    }
    return NetworkHookData(
      networkName: name, bridge: network.child("bridge")?.attribute("name"),
      forwardMode: network.child("forward")?.attribute("mode"), port: port)
  }
}

/// One port of a libvirt network: a guest NIC, named by its owner domain and MAC.
public struct NetworkPort: Sendable, Equatable {
  public var uuid: String
  public var owner: DomainIdentity
  public var mac: MACAddress
  /// `<plug bridge=…>`, when the port is plugged into a bridge.
  public var bridge: String?
}
