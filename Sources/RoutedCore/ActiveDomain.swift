/// A domain that libvirt lists as active, as `reconcile` found it.
public struct ActiveDomain: Sendable, Equatable {
  public var identity: DomainIdentity
  /// The connection that listed it (`qemu:///system`, `lxc:///system`, …).
  public var uri: String
  /// The live XML, parsed; nil when it could not be read, and then `problem` says why.
  public var description: DomainDescription?
  public var problem: String?
  /// Whether its CPUs run (libvirt's state `running`), rather than paused (an incoming migration before
  /// the resume); nil when the state could not be read.
  public var isRunning: Bool?

  public init(
    identity: DomainIdentity, uri: String, description: DomainDescription?, problem: String? = nil,
    isRunning: Bool? = nil
  ) {
    self.identity = identity
    self.uri = uri
    self.description = description
    self.problem = problem
    self.isRunning = isRunning
  }
}
