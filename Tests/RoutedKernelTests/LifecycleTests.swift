import CNetlink
import Foundation
import RoutedCore
import Synchronization
import Testing

@testable import RoutedKernel

/// Transaction counts and concurrency, in throwaway namespaces.
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct LifecycleTests {
  @Test func aStopIsOneDeletingTransactionAndAStartOneAddingOne() throws {
    let namespace = try ThrowawayNamespace()
    defer { namespace.remove() }
    try namespace.buildHost()
    let (route, filter) = try NetworkNamespace(namespace.name).run {
      (
        try MNLConnection(bus: NETLINK_ROUTE, name: "rtnetlink"),
        RecordingConnection(try MNLConnection(bus: NETLINK_NETFILTER, name: "nfnetlink"))
      )
    }
    let kernel = KernelHandle(
      files: NamespaceFiles(namespace: NetworkNamespace(namespace.name)), rtnetlink: route, nfnetlink: filter)
    _ = try kernel.apply(Plan(baseline: SamplePlan.baseline))

    var before = filter.transactions.count
    _ = try kernel.apply(SamplePlan.start("web01", "10.136.11.5"))
    let start = Array(filter.transactions.dropFirst(before))
    #expect(start == [Array(repeating: RecordingConnection.nftType(NFT_MSG_NEWSETELEM), count: 6)])

    before = filter.transactions.count
    _ = try kernel.apply(SamplePlan.stop("web01", "10.136.11.5"))
    let stop = Array(filter.transactions.dropFirst(before))
    #expect(stop == [Array(repeating: RecordingConnection.nftType(NFT_MSG_DELSETELEM), count: 6)])

    // Nothing to do: no transaction at all.
    before = filter.transactions.count
    _ = try kernel.apply(SamplePlan.stop("web01", "10.136.11.5"))
    #expect(filter.transactions.count == before)
  }

  @Test func concurrentLifecyclesEndExactlyRight() throws {
    let namespace = try ThrowawayNamespace()
    defer { namespace.remove() }
    try namespace.buildHost()
    let directory = NSTemporaryDirectory() + "rhk-lifecycle-\(UUID().uuidString)"
    defer { _ = try? FileManager.default.removeItem(atPath: directory) }
    let count = 64
    let failures = Mutex<[String]>([])
    let name = namespace.name
    // Every guest starts; the odd ones stop again. Each worker has its own sockets, like a hook process.
    DispatchQueue.concurrentPerform(iterations: count) { index in
      do {
        let kernel = try KernelHandle(networkNamespace: name)
        let guest = "vm\(index)"
        let address = "10.136.11.\(index + 1)"
        do {
          let lock = try HookLock.acquire(directory: directory)
          defer { lock.close() }
          _ = try kernel.apply(SamplePlan.start(guest, address))
        }
        if index % 2 == 1 {
          let lock = try HookLock.acquire(directory: directory)
          defer { lock.close() }
          _ = try kernel.apply(SamplePlan.stop(guest, address))
        }
      } catch {
        failures.withLock { $0.append("vm\(index): \(error)") }
      }
    }
    #expect(failures.withLock { $0 } == [])
    let kernel = try KernelHandle(networkNamespace: namespace.name)
    let expected = stride(from: 0, to: count, by: 2).flatMap {
      SamplePlan.guest("vm\($0)", "10.136.11.\($0 + 1)")
    }
    #expect(Set(try kernel.ownedGuestObjects(routeProtocol: SamplePlan.routeProtocol)) == Set(expected))
    // The baseline exists exactly once.
    let forward = try namespace.exec("nft", "list", "chain", "inet", "routed_hook", "forward")
    #expect(forward.components(separatedBy: "comment \"rh:").count - 1 == 6)
  }
}
