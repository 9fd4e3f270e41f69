import CNetlink
import Foundation
import RoutedCore

@testable import RoutedKernel

/// Where the events of one op go (recording) or come from (replay).
final class TranscriptLog {
  var events: [Transcript.Event] = []
  /// Replay: the next event to answer from, and the first place the op went its own way.
  var position = 0
  var divergence: String?

  init(_ events: [Transcript.Event] = []) { self.events = events }

  /// Replay: the next event, which must be `expected`'s kind; a mismatch ends the op with an error.
  func next(_ what: String, matching accepts: (Transcript.Event) -> Bool) throws -> Transcript.Event {
    guard position < events.count else { throw diverge("\(what): the transcript has ended") }
    let event = events[position]
    guard accepts(event) else {
      throw diverge("\(what): the transcript has \(Transcript(events: [event]).text)at event \(position)")
    }
    position += 1
    return event
  }

  private func diverge(_ message: String) -> TranscriptError {
    if divergence == nil { divergence = message }
    return TranscriptError(message)
  }
}

/// A netlink bus that forwards to a real socket and logs both directions.
final class RecordingBus: NetlinkConnection {
  let bus: Transcript.Bus
  let inner: any NetlinkConnection
  let log: TranscriptLog

  init(_ bus: Transcript.Bus, _ inner: any NetlinkConnection, log: TranscriptLog) {
    self.bus = bus
    self.inner = inner
    self.log = log
  }

  func send(_ datagram: [UInt8]) throws {
    log.events.append(.sent(bus, datagram))
    try inner.send(datagram)
  }

  func receive() throws -> [UInt8] {
    let datagram = try inner.receive()
    log.events.append(.received(bus, datagram))
    return datagram
  }
}

/// A netlink bus that answers from the transcript: each datagram sent must be the recorded one, byte for byte.
final class ReplayBus: NetlinkConnection {
  let bus: Transcript.Bus
  let log: TranscriptLog

  init(_ bus: Transcript.Bus, log: TranscriptLog) {
    self.bus = bus
    self.log = log
  }

  func send(_ datagram: [UInt8]) throws {
    _ = try log.next("\(bus) > \(Transcript.describe(bus, datagram))") { $0 == .sent(bus, datagram) }
  }

  func receive() throws -> [UInt8] {
    guard
      case .received(_, let bytes) = try log.next(
        "\(bus) <",
        matching: { event in
          if case .received(self.bus, _) = event { return true }
          return false
        })
    else { return [] }
    return bytes
  }
}

/// /proc/sys and the interface table of a namespace, logged.
struct RecordingFiles: KernelFiles {
  let inner: NamespaceFiles
  let log: TranscriptLog

  func read(_ settings: [InterfaceSysctl]) throws -> [Int?] {
    let values = try inner.read(settings)
    for (setting, value) in zip(settings, values) { log.events.append(.sysctlRead(setting.path, value)) }
    return values
  }

  func write(_ setting: InterfaceSysctl) throws {
    log.events.append(.sysctlWrite(setting.path, setting.value))
    try inner.write(setting)
  }

  func existing(_ names: [String]) throws -> [String] {
    let existing = try inner.existing(names)
    log.events.append(.interfaces(asked: names, existing: existing))
    return existing
  }

  func announce(_ announcement: Handover.Announcement) throws {
    log.events.append(announcement.event)
    try inner.announce(announcement)
  }
}

extension Handover.Announcement {
  var event: Transcript.Event {
    .announce(interface, address.description, sender?.description ?? "-")
  }
}

/// /proc/sys and the interface table as the transcript recorded them; writes must be the recorded ones.
struct ReplayFiles: KernelFiles {
  let log: TranscriptLog

  func read(_ settings: [InterfaceSysctl]) throws -> [Int?] {
    try settings.map { setting in
      guard
        case .sysctlRead(_, let value) = try log.next(
          "sysctl? \(setting.path)",
          matching: { event in
            if case .sysctlRead(setting.path, _) = event { return true }
            return false
          })
      else { return nil }
      return value
    }
  }

  func write(_ setting: InterfaceSysctl) throws {
    _ = try log.next("sysctl! \(setting.path) \(setting.value)") {
      $0 == .sysctlWrite(setting.path, setting.value)
    }
  }

  func existing(_ names: [String]) throws -> [String] {
    guard
      case .interfaces(_, let existing) = try log.next(
        "interfaces? \(names)",
        matching: { event in
          if case .interfaces(names, _) = event { return true }
          return false
        })
    else { return [] }
    return existing
  }

  func announce(_ announcement: Handover.Announcement) throws {
    _ = try log.next("garp! \(announcement)") { $0 == announcement.event }
  }
}

extension KernelHandle {
  /// Sockets and files of a throwaway namespace, every exchange logged; sequence numbers from 1.
  static func recording(namespace: String, log: TranscriptLog) throws -> KernelHandle {
    let place = NetworkNamespace(namespace)
    let (route, filter) = try place.run {
      (
        try MNLConnection(bus: NETLINK_ROUTE, name: "rtnetlink"),
        try MNLConnection(bus: NETLINK_NETFILTER, name: "nfnetlink")
      )
    }
    return KernelHandle(
      files: RecordingFiles(inner: NamespaceFiles(namespace: place), log: log),
      rtnetlink: RecordingBus(.rtnetlink, route, log: log),
      nfnetlink: RecordingBus(.nfnetlink, filter, log: log),
      firstSequence: 1)
  }

  /// A kernel that answers from a transcript.
  static func replaying(_ log: TranscriptLog) -> KernelHandle {
    KernelHandle(
      files: ReplayFiles(log: log), rtnetlink: ReplayBus(.rtnetlink, log: log),
      nfnetlink: ReplayBus(.nfnetlink, log: log), firstSequence: 1)
  }
}
