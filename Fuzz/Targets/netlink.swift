// Fuzz target: the netlink reply decoders: datagrams split into messages, acknowledgements with extended
// ACKs, links, addresses, routes (with multipath hops), neighbours (proxy entries), and nf_tables tables,
// chains, sets, rules and set elements of every key type with their comments; and the watch daemon's
// notifications through the same decoders (KernelNotificationDecoder), classified as the daemon does.
@testable import RoutedCore
@testable import RoutedKernel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetlinkReplies(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let datagram = Array(UnsafeBufferPointer(start: data, count: size))
  let messages = NetlinkMessage.split(datagram)
  let classifier = DriftClassifier(routeProtocol: 151, interfaces: ["br-ex"], tables: ["routed_hook"])
  for notification in datagram.withUnsafeBytes(KernelNotificationDecoder.notifications(in:)) {
    _ = classifier.signal(
      for: notification, interfaceName: classifier.interfaceToName(notification).map { _ in "br-ex" })
  }
  let links = messages.compactMap(LinkMessage.init)
  let names = LinkNames(links.map { ($0.index, $0.name) })
  for link in links { _ = (link.link, link.flagNames) }
  for message in messages {
    if let acknowledgement = Acknowledgement(message), acknowledgement.error < 0 {
      fatalError("a negative errno")
    }
    if let route = RouteMessage(message) { _ = (route.deviceIndexes, route.snapshotRoute(names: names)) }
    _ = AddressMessage.decode(message)
    _ = NeighbourMessage.decode(message)
    _ = (NftReply.table(message), NftReply.chain(message), NftReply.set(message))
    for table in OwnedTable.allCases {
      if let rule = NftReply.rule(message, in: table), rule.tag?.utf8.contains(0) == true {
        fatalError("a rule tag kept its NUL")
      }
    }
    for keyType: SetKeyType in [.address, .addressAndInterface, .address6, .address6AndInterface] {
      for (_, comment) in NftReply.elements(message, keyType: keyType) where comment?.utf8.contains(0) == true
      {
        fatalError("a comment kept its NUL")
      }
    }
    _ = message.bytes.withUnsafeBytes(Userdata.comment(in:))
  }
  return 0
}
