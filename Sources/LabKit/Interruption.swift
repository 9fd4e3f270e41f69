import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM during `up` into an ordinary failure at the next phase boundary, so the
/// usual teardown runs instead of the process dying half way. Child tools run in their own process groups
/// and do not see the terminal's Ctrl-C.
public enum Interruption {
  private static let state = State()

  /// Starts catching SIGINT and SIGTERM for the rest of the process.
  public static func install() {
    state.install()
  }

  /// Throws once a signal has arrived.
  public static func check() throws {
    if let signal = state.received { throw LabError("interrupted by signal \(signal)") }
  }

  private final class State: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?
    private var sources: [DispatchSourceSignal] = []

    var received: Int32? {
      lock.lock()
      defer { lock.unlock() }
      return signal
    }

    func install() {
      lock.lock()
      defer { lock.unlock() }
      guard sources.isEmpty else { return }
      for number in [SIGINT, SIGTERM] {
        Foundation.signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { [weak self] in self?.record(number) }
        source.resume()
        sources.append(source)
      }
    }

    private func record(_ number: Int32) {
      lock.lock()
      if signal == nil { signal = number }
      lock.unlock()
      FileHandle.standardError.write(
        Data("routed-lab: interrupted; stopping after this step and removing the lab\n".utf8))
    }
  }
}
