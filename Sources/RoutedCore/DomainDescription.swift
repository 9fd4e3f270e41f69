/// What routed-hook needs from a libvirt domain's XML: identity, NICs and `urn:routed-hook:1` metadata.
public struct DomainDescription: Sendable, Equatable {
  public var identity: DomainIdentity
  public var interfaces: [DomainInterface]
  /// Addresses from `<metadata><rh:guest>`; nil when the domain carries no such element.
  public var metadata: [GuestAddress]?

  public init(identity: DomainIdentity, interfaces: [DomainInterface], metadata: [GuestAddress]? = nil) {
    self.identity = identity
    self.interfaces = interfaces
    self.metadata = metadata
  }
}

/// One `<interface>` of a domain.
public struct DomainInterface: Sendable, Equatable {
  /// The `type` attribute: bridge, network, ethernet, direct, …
  public var type: String
  public var mac: MACAddress?
  /// `<source bridge=…>`; libvirt also fills it in for running `type='network'` NICs.
  public var sourceBridge: String?
  /// `<source network=…>` for `type='network'`.
  public var sourceNetwork: String?
  /// `<target dev=…>`: present while the guest runs, absent in the release-time XML.
  public var targetDevice: String?
  /// `<virtualport type=…>`, e.g. `openvswitch`.
  public var virtualPort: String?

  public init(
    type: String, mac: MACAddress?, sourceBridge: String? = nil, sourceNetwork: String? = nil,
    targetDevice: String? = nil, virtualPort: String? = nil
  ) {
    self.type = type
    self.mac = mac
    self.sourceBridge = sourceBridge
    self.sourceNetwork = sourceNetwork
    self.targetDevice = targetDevice
    self.virtualPort = virtualPort
  }
}
