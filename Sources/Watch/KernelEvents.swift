#if canImport(Glibc)
  import Glibc
#endif
import CNetlink
import RoutedCore
import RoutedKernel

/// The daemon's kernel notifications: rtnetlink (links, IPv4 and IPv6 addresses and routes) and nfnetlink's
/// nf_tables group, in the daemon's network namespace. Proxy neighbour entries (a guest's IPv6 answer on a
/// `proxy-arp` uplink) send no notification at all (kernel 6.18): only the periodic reconcile sees one go.
/// Each datagram is decoded (`KernelNotificationDecoder`) and classified (`DriftClassifier`) at once.
public final class KernelEvents {
  public let route: Int32
  public let netfilter: Int32
  let classifier: DriftClassifier
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)

  public init(classifier: DriftClassifier) throws(WatchError) {
    self.classifier = classifier
    route = try Self.open(
      NETLINK_ROUTE,
      groups: UInt32(RTMGRP_LINK) | UInt32(RTMGRP_IPV4_IFADDR) | UInt32(RTMGRP_IPV4_ROUTE)
        | UInt32(RTMGRP_IPV6_IFADDR) | UInt32(RTMGRP_IPV6_ROUTE))
    do {
      netfilter = try Self.open(NETLINK_NETFILTER, groups: 0)
    } catch {
      close(route)
      throw error
    }
    var group = Int32(NFNLGRP_NFTABLES.rawValue)
    guard setsockopt(netfilter, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, socklen_t(4)) == 0 else {
      let code = errno
      close(route)
      close(netfilter)
      throw WatchError.system("join nfnetlink group NFNLGRP_NFTABLES", code)
    }
  }

  deinit {
    close(route)
    close(netfilter)
  }

  private static func open(_ family: Int32, groups: UInt32) throws(WatchError) -> Int32 {
    let socket = Glibc.socket(
      AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
      family)
    guard socket >= 0 else { throw WatchError.system("netlink socket", errno) }
    // 8 MiB (root may exceed rmem_max): a flush of 4,000 guests' routes fits without an overrun.
    var size: Int32 = 8 << 20
    if setsockopt(socket, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(4)) != 0 {
      _ = setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(4))
    }
    var address = sockaddr_nl()
    address.nl_family = sa_family_t(AF_NETLINK)
    address.nl_groups = groups
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socket, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
      }
    }
    guard bound == 0 else {
      let code = errno
      close(socket)
      throw WatchError.system("bind netlink socket", code)
    }
    return socket
  }

  /// Reads every waiting datagram of `socket` and returns the signals that matter (never `.none`).
  public func drain(_ socket: Int32) -> [DriftSignal] {
    var signals: [DriftSignal] = []
    while true {
      let received = buffer.withUnsafeMutableBytes { raw in
        Result { () throws(Errno) in try retryingInterrupts { recv(socket, raw.baseAddress, raw.count, 0) } }
      }
      let count: Int
      switch received {
      case .success(let bytes): count = bytes
      // The socket's buffer overran and notifications were lost; the next recv reads on.
      case .failure(let error) where error.rawValue == ENOBUFS:
        signals.append(.overrun)
        continue
      case .failure: return signals  // EAGAIN: nothing more waits.
      }
      guard count > 0 else { return signals }
      let notifications = buffer.withUnsafeBytes {
        KernelNotificationDecoder.notifications(in: UnsafeRawBufferPointer(rebasing: $0[..<count]))
      }
      for notification in notifications {
        let name = classifier.interfaceToName(notification).flatMap(Self.interfaceName)
        let signal = classifier.signal(for: notification, interfaceName: name)
        if signal != .none { signals.append(signal) }
      }
    }
  }

  /// if_indextoname: nil once the interface is gone.
  private static func interfaceName(_ index: Int32) -> String? {
    var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
    guard if_indextoname(UInt32(bitPattern: index), &name) != nil else { return nil }
    return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
