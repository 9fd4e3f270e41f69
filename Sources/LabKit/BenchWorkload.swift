/// A workload in the talk's uperf naming: `rr1c-<request>x<response>--<connections>` (request/response) and
/// `str-readx<size>--<connections>` / `str-writex<size>--<connections>` (streaming). Sizes are bytes, with a
/// `k` suffix for KiB (`30k` = 30,720 bytes, as uperf reads it).
public struct BenchWorkload: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable, Equatable {
    /// Closed loops: a request of `request` bytes, then a response of `response` bytes, per connection.
    case requestResponse = "rr"
    /// The client reads a stream the server writes in `response`-byte writes.
    case streamRead = "str-read"
    /// The client writes a stream in `request`-byte writes.
    case streamWrite = "str-write"
  }

  public var kind: Kind
  public var request: Int
  public var response: Int
  public var connections: Int
  /// The name as given, which the table and JSON use.
  public var name: String

  public var description: String { name }
  public var isStreaming: Bool { kind != .requestResponse }

  /// The talk's pay-off workloads: transactional at 1, 10, 25 and 50 users, one large transactional, and
  /// streaming reads at 1, 10 and 50 users.
  public static let talk = [
    "rr1c-200x1000--1", "rr1c-200x1000--10", "rr1c-200x1000--25", "rr1c-200x1000--50", "rr1c-30kx30k--10",
    "str-readx30k--1", "str-readx30k--10", "str-readx30k--50",
  ].map { BenchWorkload($0)! }

  /// The one workload `--quick` runs.
  public static let quick = BenchWorkload("rr1c-200x1000--1")!

  /// Parses a workload name; nil for anything else.
  public init?(_ text: String) {
    let halves = text.components(separatedBy: "--")
    guard halves.count == 2, let connections = Int(halves[1]), (1...512).contains(connections) else {
      return nil
    }
    let head = halves[0]
    if head.hasPrefix("rr1c-") {
      let sizes = head.dropFirst(5).split(separator: "x", omittingEmptySubsequences: false)
      guard sizes.count == 2, let request = Self.size(sizes[0]), let response = Self.size(sizes[1]) else {
        return nil
      }
      self.init(kind: .requestResponse, request: request, response: response, connections: connections, name: text)
    } else if head.hasPrefix("str-readx"), let size = Self.size(head.dropFirst(9)) {
      self.init(kind: .streamRead, request: 0, response: size, connections: connections, name: text)
    } else if head.hasPrefix("str-writex"), let size = Self.size(head.dropFirst(10)) {
      self.init(kind: .streamWrite, request: size, response: 0, connections: connections, name: text)
    } else {
      return nil
    }
  }

  init(kind: Kind, request: Int, response: Int, connections: Int, name: String) {
    self.kind = kind
    self.request = request
    self.response = response
    self.connections = connections
    self.name = name
  }

  /// `200` or `30k`: 1 byte to 1 MiB.
  static func size(_ text: Substring) -> Int? {
    let lower = text.lowercased()
    let value = lower.hasSuffix("k") ? Int(lower.dropLast()).map { $0 * 1024 } : Int(lower)
    guard let value, (1...1_048_576).contains(value) else { return nil }
    return value
  }

  /// The unit of work the cost is per: a transaction, or a gigabyte moved.
  public var unit: String { isStreaming ? "GB" : "tx" }
}
