import Glibc
import RoutedCore

/// What the kernel handle reads and writes outside netlink: per-interface sysctls under /proc/sys, and
/// whether an interface exists. Behind a protocol so whole-transaction tests can answer from a transcript.
protocol KernelFiles {
  /// The sysctls' values, in one visit to the namespace; nil where the file does not exist.
  func read(_ settings: [InterfaceSysctl]) throws -> [Int?]
  func write(_ setting: InterfaceSysctl) throws
  /// Which of `names` exist.
  func existing(_ names: [String]) throws -> [String]
  /// Sends one gratuitous ARP or unsolicited neighbour advertisement (an AF_PACKET socket, so it goes out of
  /// the namespace's interface).
  func announce(_ announcement: Handover.Announcement) throws
}

/// /proc/sys and the interface table of a namespace (or of the calling thread's).
struct NamespaceFiles: KernelFiles {
  let namespace: NetworkNamespace?

  private func inNamespace<R>(_ body: () throws -> R) throws -> R {
    if let namespace { return try namespace.run(body) }
    return try body()
  }

  func read(_ settings: [InterfaceSysctl]) throws -> [Int?] {
    try inNamespace { try settings.map(Sysctl.read) }
  }

  func write(_ setting: InterfaceSysctl) throws { try inNamespace { try Sysctl.write(setting) } }

  /// if_nametoindex is one ioctl on the namespace's own table: cheaper than a netlink round trip each.
  func existing(_ names: [String]) throws -> [String] {
    try inNamespace { names.filter { if_nametoindex($0) != 0 } }
  }

  func announce(_ announcement: Handover.Announcement) throws {
    try inNamespace {
      switch announcement.address {
      case .v4(let address): try GratuitousARP.send(announcement, address: address)
      case .v6(let address): try NeighbourAdvertisement.send(announcement, address: address)
      }
    }
  }
}
