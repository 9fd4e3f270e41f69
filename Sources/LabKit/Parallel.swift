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

  /// Maps items on `width` dedicated threads: for steps that mostly wait (probes with timeouts), where
  /// Dispatch's pool, sized to the two cores, would run them barely side by side. Order is kept.
  static func map<T: Sendable, R: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) -> R)
    -> [R]
  {
    let results = ResultBox<R>(count: items.count)
    let next = ResultBox<Int>(count: 0)
    let group = DispatchGroup()
    for _ in 0..<min(width, items.count) {
      group.enter()
      Thread {
        while let index = next.claim(below: items.count) { results.set(index, body(items[index])) }
        group.leave()
      }.start()
    }
    group.wait()
    return results.values
  }

  private final class ResultBox<R>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [R?]
    private var cursor = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: R) {
      lock.lock()
      slots[index] = value
      lock.unlock()
    }

    /// Hands out the next unclaimed index, or nil when all are taken.
    func claim(below limit: Int) -> Int? {
      lock.lock()
      defer { lock.unlock() }
      guard cursor < limit else { return nil }
      cursor += 1
      return cursor - 1
    }

    var values: [R] {
      lock.lock()
      defer { lock.unlock() }
      return slots.map { $0! }
    }
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
