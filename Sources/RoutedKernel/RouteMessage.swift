import CNetlink
import Glibc
import RoutedCore

/// RTM_NEWROUTE (a dump's entry or a notification) or RTM_DELROUTE (a notification) of an IPv4 or IPv6 route,
/// decoded: `rtmsg`, its attributes, and each hop of a multipath route (`rtnexthop` with its own attributes).
struct RouteMessage {
  var route: KernelRoute
  /// RTA_DST as sent: nil for a default route (which has none) or one of the wrong size.
  var destinationAddress: IPAddress?
  /// RTM_DELROUTE.
  var removed: Bool
  /// NLM_F_REPLACE on RTM_NEWROUTE: the route took another's place.
  var replacing: Bool
  /// RTA_PRIORITY.
  var metric: Int?
  /// Every multipath hop's device index and gateway, in order.
  var hops: [(index: Int32, gateway: IPAddress?)]

  init?(_ message: NetlinkMessage) {
    let removed = Int(message.type) == RTM_DELROUTE
    guard Int(message.type) == RTM_NEWROUTE || removed else { return nil }
    let replacing = !removed && message.flags & UInt16(NLM_F_REPLACE) != 0
    guard
      let decoded = message.withPayload(
        rtmsg.self,
        { header, info -> RouteMessage? in
          let v6 = info.rtm_family == UInt8(AF_INET6)
          guard info.rtm_family == UInt8(AF_INET) || v6 else { return nil }
          let attributes = AttributeTable(
            header, offset: MemoryLayout<rtmsg>.size, maxType: Int32(__RTA_MAX.rawValue - 1))
          func address(_ table: AttributeTable, _ type: Int32) -> IPAddress? {
            v6 ? table.ipv6(type).map(IPAddress.v6) : table.ipv4(type).map(IPAddress.v4)
          }
          let length = Int(info.rtm_dst_len)
          let sent = address(attributes, Int32(RTA_DST.rawValue))
          let destination: IPNetwork =
            v6
            ? .v6(IPv6Network(containing: sent?.v6 ?? .unspecified, prefixLength: length))
            : .v4(IPv4Network(containing: sent?.v4 ?? IPv4Address(0), prefixLength: length))
          let route = KernelRoute(
            destination: destination,
            gateway: address(attributes, Int32(RTA_GATEWAY.rawValue)),
            outputIndex: attributes.u32(Int32(RTA_OIF.rawValue)).map { Int32(bitPattern: $0) },
            routeProtocol: info.rtm_protocol,
            table: attributes.u32(Int32(RTA_TABLE.rawValue)) ?? UInt32(info.rtm_table), type: info.rtm_type,
            metric: attributes.u32(Int32(RTA_PRIORITY.rawValue)) ?? 0)
          var hops: [(index: Int32, gateway: IPAddress?)] = []
          if let multipath = attributes[Int32(RTA_MULTIPATH.rawValue)] {
            var hop = UnsafeRawPointer(mnl_attr_get_payload(multipath)!)
            var remaining = Int(mnl_attr_get_payload_len(multipath))
            let fixed = MemoryLayout<rtnexthop>.size
            while remaining >= fixed {
              let next = hop.loadUnaligned(as: rtnexthop.self)
              let length = Int(next.rtnh_len)
              guard length >= fixed, length <= remaining else { break }
              let gateway = address(
                AttributeTable(
                  payload: hop + fixed, length: length - fixed, maxType: Int32(__RTA_MAX.rawValue - 1)),
                Int32(RTA_GATEWAY.rawValue))
              hops.append((next.rtnh_ifindex, gateway))
              let aligned = (length + 3) & ~3
              hop += aligned
              remaining -= aligned
            }
          }
          return RouteMessage(
            route: route, destinationAddress: sent, removed: removed, replacing: replacing,
            metric: attributes.u32(Int32(RTA_PRIORITY.rawValue)).map { Int($0) }, hops: hops)
        })
    else { return nil }
    self = decoded
  }

  private init(
    route: KernelRoute, destinationAddress: IPAddress?, removed: Bool, replacing: Bool, metric: Int?,
    hops: [(index: Int32, gateway: IPAddress?)]
  ) {
    self.route = route
    self.destinationAddress = destinationAddress
    self.removed = removed
    self.replacing = replacing
    self.metric = metric
    self.hops = hops
  }

  /// The output interfaces the route names: RTA_OIF and each multipath hop's.
  var deviceIndexes: [Int32] { (route.outputIndex.map { [$0] } ?? []) + hops.map { $0.index } }
}
