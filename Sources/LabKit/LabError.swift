/// A failure of the lab itself (not of an expectation), with a message fit for the user.
public struct LabError: Error, CustomStringConvertible {
  public var description: String

  public init(_ description: String) { self.description = description }
}
