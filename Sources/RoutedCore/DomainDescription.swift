/// What routed-hook needs from a libvirt domain's XML: identity, NICs and `urn:routed-hook:1` metadata.
///
/// What the XML lacks or gets wrong is kept as a problem instead of failing the parse: it matters only if
/// routed-hook acts on the domain (`GuestResolver`), and a domain with no managed NIC is ignored whatever it
/// lacks or contains (libvirt's own test suites are full of domains without a `<uuid>` or a NIC).
public struct DomainDescription: Sendable, Equatable {
  public var identity: DomainIdentity
  public var interfaces: [DomainInterface]
  /// Addresses from `<metadata><rh:guest>`; nil when the domain carries no such element, or it is unreadable.
  public var metadata: [GuestAddress]?
  /// No `<name>`, or a `<uuid>` that is not one: refused once a NIC is managed (records are named by UUID).
  public var identityProblem: String?
  /// `<rh:guest>` metadata that cannot be read: refused once a NIC sits on a guest network.
  public var metadataProblem: String?
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
  /// A `<mac address>` that is not a MAC address (then `mac` is nil): refused if the NIC is on a guest network.
  public var problem: String?
}
