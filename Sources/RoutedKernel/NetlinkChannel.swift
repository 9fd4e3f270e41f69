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
        let acknowledgement = Acknowledgement(message)
        if sequence == aborting, let failure = acknowledgement, failure.error != 0 {
          return (replies, NetlinkReply(messages: [], error: failure.error, detail: failure.detail))
        }
        guard let slot = Self.slot(of: sequence, in: awaiting), !done[slot] else { continue }
        guard let acknowledgement else {
          replies[slot].messages.append(message)
          continue
        }
        replies[slot].error = acknowledgement.error
        replies[slot].detail = acknowledgement.detail
        done[slot] = true
        pending -= 1
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
    let sequence = NetlinkMessage(bytes: message).sequence
    return try exchange(message, awaiting: [sequence]).replies[0]
  }
}
