import CNetlink
import Glibc

/// What the kernel answered to one request (one sequence number).
struct NetlinkReply {
  /// Data messages: a GET's answer or a dump's parts.
  var messages: [NetlinkMessage] = []
  /// The positive errno of the ACK, 0 for success.
  var error: Int32 = 0
  /// The kernel's extended-ACK text, if any.
  var detail: String?
}

/// Sequence numbers and reply matching over one connection: every request is answered by an ACK,
/// an error or NLMSG_DONE, so a reply is complete exactly when its terminator arrived.
final class NetlinkChannel {
  let connection: any NetlinkConnection
  private var sequence: UInt32

  init(connection: any NetlinkConnection, firstSequence: UInt32 = UInt32(truncatingIfNeeded: time(nil))) {
    self.connection = connection
    sequence = firstSequence
  }

  /// A fresh sequence number for the next message.
  func nextSequence() -> UInt32 {
    sequence &+= 1
    return sequence
  }

  /// Sends one datagram and collects the replies of `awaiting`, in that order, until each is terminated.
  /// An error for `aborting` (a batch's BEGIN, which is never ACKed on success) ends the wait at once and
  /// is returned as `aborted`. Arrays, not a dictionary by sequence number: a `[UInt32: …]` costs every
  /// hook call a run-time scan of the binary's protocol conformances.
  func exchange(
    _ datagram: [UInt8], awaiting: [UInt32], abortingOn aborting: UInt32? = nil
  ) throws -> (replies: [NetlinkReply], aborted: NetlinkReply?) {
    var replies = [NetlinkReply](repeating: NetlinkReply(), count: awaiting.count)
    var done = [Bool](repeating: false, count: awaiting.count)
    var pending = awaiting.count
    try connection.send(datagram)
    while pending > 0 {
      for message in NetlinkMessage.split(try connection.receive()) {
        let sequence = message.sequence
        if sequence == aborting, Int32(message.type) == NLMSG_ERROR {
          let (error, detail) = Self.parseError(message)
          if error != 0 { return (replies, NetlinkReply(messages: [], error: error, detail: detail)) }
        }
        guard let slot = Self.slot(of: sequence, in: awaiting), !done[slot] else { continue }
        switch Int32(message.type) {
        case NLMSG_ERROR:
          let (error, detail) = Self.parseError(message)
          replies[slot].error = error
          replies[slot].detail = detail
          done[slot] = true
          pending -= 1
        case NLMSG_DONE:
          let payload = message.payload
          if payload.count >= 4 {
            replies[slot].error = -payload.loadHost(Int32.self, at: payload.startIndex)
          }
          done[slot] = true
          pending -= 1
        default:
          replies[slot].messages.append(message)
        }
      }
    }
    return (replies, nil)
  }

  /// Where `sequence` is in `awaiting`: callers number a datagram's messages consecutively, so the offset
  /// from the first finds it at once; anything else falls back to a search.
  private static func slot(of sequence: UInt32, in awaiting: [UInt32]) -> Int? {
    guard let first = awaiting.first else { return nil }
    let offset = Int(sequence &- first)
    if offset < awaiting.count && awaiting[offset] == sequence { return offset }
    return awaiting.firstIndex(of: sequence)
  }

  /// Sends one message (its sequence number is read from it) and waits for its reply.
  func request(_ message: [UInt8]) throws -> NetlinkReply {
    let sequence = message.loadHost(UInt32.self, at: 8)
    return try exchange(message, awaiting: [sequence]).replies[0]
  }

  /// `nlmsgerr`: a negative errno, the offending header, then (with NETLINK_EXT_ACK) attributes.
  private static func parseError(_ message: NetlinkMessage) -> (Int32, String?) {
    let payload = message.payload
    guard payload.count >= 4 else { return (EPROTO, nil) }
    let error = -payload.loadHost(Int32.self, at: payload.startIndex)
    guard message.flags & UInt16(NLM_F_ACK_TLVS) != 0, payload.count >= 20 else { return (error, nil) }
    let echoedLength =
      message.flags & UInt16(NLM_F_CAPPED) != 0
      ? 16 : Int(payload.loadHost(UInt32.self, at: payload.startIndex + 4))
    let start = payload.startIndex + 4 + Int(cnl_nlmsg_align(UInt32(echoedLength)))
    guard start <= payload.endIndex else { return (error, nil) }
    let attributes = NetlinkAttributes(payload[start...])
    return (error, attributes.string(Int32(NLMSGERR_ATTR_MSG.rawValue)))
  }
}
