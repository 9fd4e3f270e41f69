/// Why a managed domain cannot run here: bad addresses, unknown uplinks, or a clash with a running guest.
public struct DomainError: Error, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
