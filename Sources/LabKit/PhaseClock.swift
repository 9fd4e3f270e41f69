import Foundation

/// Wall-clock time of each phase of `up` or `down`, for `--timings` and the benchmark.
public final class PhaseClock: @unchecked Sendable {
  /// One measured phase.
  public struct Phase: Sendable {
    public var name: String
    public var seconds: Double
  }

  public private(set) var phases: [Phase] = []
  private let progress: (@Sendable (String) -> Void)?
  private let started = Date()

  /// `progress` receives a line as each phase starts and ends (nil: silent).
  public init(progress: (@Sendable (String) -> Void)? = nil) { self.progress = progress }

  /// Runs one phase, timing it and announcing it, so a long step never looks like a hang.
  public func phase<T>(_ name: String, detail: String = "", _ body: () throws -> T) rethrows -> T {
    progress?("… \(name)\(detail.isEmpty ? "" : " (\(detail))")")
    let start = Date()
    defer {
      let seconds = Date().timeIntervalSince(start)
      phases.append(Phase(name: name, seconds: seconds))
      progress?("✓ \(name) \(Self.milliseconds(seconds))")
    }
    return try body()
  }

  /// Seconds since the clock was made.
  public var total: Double { Date().timeIntervalSince(started) }

  /// A table of phases with their share of the total.
  public func report(title: String) -> String {
    let total = max(phases.reduce(0) { $0 + $1.seconds }, 0.000_001)
    let width = max(phases.map(\.name.count).max() ?? 0, 5)
    var lines = ["\(title) timings:"]
    for phase in phases {
      let share = Int((phase.seconds / total * 100).rounded())
      lines.append(
        "  \(phase.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(Self.milliseconds(phase.seconds).leftPadded(9))  \(String(share).leftPadded(3))%"
      )
    }
    lines.append(
      "  \("total".padding(toLength: width, withPad: " ", startingAt: 0))  \(Self.milliseconds(total).leftPadded(9))"
    )
    return lines.joined(separator: "\n")
  }

  static func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
}

extension String {
  func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
