import Foundation
import Glibc
import CNetlink
@testable import RoutedCore
@testable import RoutedKernel

// bench/notification-burst.sh: the watch daemon's classifying cost, side by side in one process: the
// fixed-offset classifier it had before issue 12 (FixedOffsetClassifier.swift) and the decoders with
// DriftClassifier, over bursts of 4,000 one-message datagrams (the kernel multicasts each notification in a
// datagram of its own), alternating round by round. First both are run on every recorded notification fixture
// and must give the same signals.
let fixtures = CommandLine.arguments[1] + "/"
func hex(_ name: String) -> [UInt8] {
  let text = try! String(contentsOfFile: fixtures + name + ".hex", encoding: .utf8)
  return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.flatMap { $0.split(separator: " ") }.map { UInt8($0, radix: 16)! }
}
func messages(_ name: String) -> [[UInt8]] { NetlinkMessage.split(hex(name)).map(\.bytes) }

let interfaces = ["br-ex", "osa10"], tables = ["routed_hook", "routed_hook_nat"]
let old = FixedOffsetClassifier(routeProtocol: 151, interfaces: interfaces, tables: tables)
let classifier = DriftClassifier(routeProtocol: 151, interfaces: interfaces, tables: tables)

func newSignals(_ datagram: [UInt8], into signals: inout [DriftSignal]) {
  let notifications = datagram.withUnsafeBytes(KernelNotificationDecoder.notifications(in:))
  for notification in notifications {
    let name = classifier.interfaceToName(notification).flatMap { index -> String? in
      var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
      guard if_indextoname(UInt32(bitPattern: index), &name) != nil else { return nil }
      return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    let signal = classifier.signal(for: notification, interfaceName: name)
    if signal != .none { signals.append(signal) }
  }
}

// Equivalence on every recorded fixture, message by message and whole datagrams.
var same = true
for name in ["notify-route4", "notify-route6", "notify-route-replaced", "notify-route-subnet", "notify-address4",
  "notify-address6", "notify-link", "notify-nft-elements", "notify-nft-objects"] {
  var a: [DriftSignal] = [], b: [DriftSignal] = []
  old.signals(datagram: hex(name), into: &a)
  newSignals(hex(name), into: &b)
  if a != b {
    same = false
    print("\(name): fixed-offset \(a)\n\(name): decoders \(b)")
  }
}
print("same signals on every fixture: \(same)")
if !same { exit(1) }

let bursts: [(String, [UInt8])] = [
  ("IPv4 route deletions", messages("notify-route4")[1]),
  ("IPv6 route deletions", messages("notify-route6")[1]),
  ("IPv4 . ifname element deletions", messages("notify-nft-elements").first {
    if case .nftablesDeletion(let deletion)? = KernelNotificationDecoder.notification(NetlinkMessage(bytes: $0)) {
      return deletion.elementKey?.count == 20
    }
    return false
  }!),
]
let rounds = Int(CommandLine.arguments.dropFirst(2).first ?? "50")!
func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
for (what, message) in bursts {
  let burst = [[UInt8]](repeating: message, count: 4000)
  var times = (old: [Double](), new: [Double]())
  var count = (old: 0, new: 0)
  for round in 0..<rounds * 2 {
    var signals: [DriftSignal] = []
    signals.reserveCapacity(4000)
    let useOld = round % 2 == 0
    let start = now()
    for datagram in burst {
      if useOld { old.signals(datagram: datagram, into: &signals) } else { newSignals(datagram, into: &signals) }
    }
    let elapsed = (now() - start) * 1000
    if useOld { times.old.append(elapsed); count.old = signals.count } else { times.new.append(elapsed); count.new = signals.count }
  }
  let median = { (v: [Double]) in v.sorted()[v.count / 2] }
  print(String(format: "%@ (4,000), %d rounds each: fixed-offset %.2f ms, decoders %.2f ms median (min %.2f / %.2f), ratio %.2f×; signals %d / %d",
    what, rounds, median(times.old), median(times.new), times.old.min()!, times.new.min()!, median(times.new) / median(times.old), count.old, count.new))
}
