/// What an apply or removal changed in the kernel.
public struct ApplyReport: Sendable, Equatable {
  /// Objects created (or corrected, for links, sysctls and replaced routes).
  public var added: [KernelObject]
  /// Objects deleted.
  public var removed: [KernelObject]
  /// Objects of the plan that already were as asked.
  public var unchanged: Int

  /// A report; empty by default.
  public init(added: [KernelObject] = [], removed: [KernelObject] = [], unchanged: Int = 0) {
    self.added = added
    self.removed = removed
    self.unchanged = unchanged
  }

  /// True when nothing was added or removed.
  public var isEmpty: Bool { added.isEmpty && removed.isEmpty }
}
