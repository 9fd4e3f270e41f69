import Dispatch
import Foundation

/// Runs independent steps (one per namespace or host) side by side; most of their time is spent in the kernel.
enum Parallel {
  /// Calls `body` for every item concurrently and rethrows the first error once all have finished.
  static func forEach<T: Sendable>(_ items: [T], _ body: @Sendable (T) throws -> Void) throws {
    let errors = ErrorBox()
    DispatchQueue.concurrentPerform(iterations: items.count) { index in
      do { try body(items[index]) } catch { errors.add(error) }
    }
    if let first = errors.first { throw first }
  }

  private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []

    func add(_ error: Error) {
      lock.lock()
      errors.append(error)
      lock.unlock()
    }

    var first: Error? {
      lock.lock()
      defer { lock.unlock() }
      return errors.first
    }
  }
}
