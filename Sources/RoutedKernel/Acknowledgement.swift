import CNetlink
import Glibc

/// NLMSG_ERROR (an ACK when its error is 0) and NLMSG_DONE, decoded: the positive errno, and the kernel's
/// extended-ACK text (NLMSGERR_ATTR_MSG) when it sent one.
struct Acknowledgement {
  var error: Int32
  var detail: String?

  init?(_ message: NetlinkMessage) {
    switch Int32(message.type) {
    case NLMSG_ERROR:
      guard
        let decoded = message.withPayload(
          nlmsgerr.self,
          { header, acknowledgement -> Acknowledgement? in
            let error = Self.errno(acknowledgement.error)
            guard message.flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return Acknowledgement(error: error) }
            // The attributes follow the echoed request: its header alone when capped, else the whole of it.
            let echoed =
              message.flags & UInt16(NLM_F_CAPPED) != 0
              ? MemoryLayout<nlmsghdr>.size : Int(acknowledgement.msg.nlmsg_len)
            let offset = MemoryLayout<Int32>.size + Int(cnl_nlmsg_align(UInt32(echoed)))
            guard offset <= Int(mnl_nlmsg_get_payload_len(header)) else {
              return Acknowledgement(error: error)
            }
            let attributes = AttributeTable(
              header, offset: offset, maxType: Int32(__NLMSGERR_ATTR_MAX.rawValue - 1))
            return Acknowledgement(error: error, detail: attributes.string(Int32(NLMSGERR_ATTR_MSG.rawValue)))
          })
      else { self.init(error: EPROTO); return }
      self = decoded
    case NLMSG_DONE:
      // A dump's end carries an int: 0, or the negative errno that cut it short.
      let status = message.withPayload(Int32.self) { _, status in status } ?? 0
      self.init(error: Self.errno(status))
    default:
      return nil
    }
  }

  /// The positive errno of the kernel's negative one (0 for none). Anything else is no errno at all, and
  /// Int32.min's negation would trap (found by `scripts/fuzz netlink`): EPROTO.
  private static func errno(_ negative: Int32) -> Int32 {
    negative <= 0 && negative != .min ? -negative : EPROTO
  }

  private init(error: Int32, detail: String? = nil) {
    self.error = error
    self.detail = detail
  }
}
