import Foundation
import RoutedCore

#if canImport(Glibc)
  import Glibc
#endif

/// The request/response generator, with uperf's `rr` semantics (uperf and netperf are not in Debian 12):
/// N TCP connections (TCP_NODELAY, as uperf's profiles set it), each a closed loop of a request of R bytes
/// from the client and a response of S bytes from the server, the next request sent only once the whole
/// response has arrived. One event loop per side drives all connections (a thread or process per connection,
/// as uperf runs them, buys nothing on a two-core machine), both in this process, with sockets opened in the
/// client's and the server's namespaces. Transactions and latencies count only inside the measured window,
/// after a warm-up.
struct RRGenerator {
  var clientNamespace: String
  var serverNamespace: String
  var address: IPv4Address
  var port: Int
  var request: Int
  var response: Int
  var connections: Int

  struct Outcome {
    var transactions: Int
    var seconds: Double
    /// Round-trip time of every transaction completed in the window, in microseconds, sorted.
    var latencies: [Double]
    var cpu: CPUTime
  }

  /// Connects, runs `warmup` seconds unmeasured and `duration` seconds measured, and closes everything.
  func run(warmup: Double, duration: Double, foreign: ForeignProcesses? = nil) throws -> Outcome {
    let listener = try NamespaceSwitch.inside(serverNamespace) {
      try TCPSocket.listen(port: port, backlog: 512, noDelay: true)
    }
    defer { close(listener) }
    var clients: [Int32] = []
    var servers: [Int32] = []
    defer { (clients + servers).forEach { close($0) } }
    for _ in 0..<connections {
      let client = try NamespaceSwitch.inside(clientNamespace) { try TCPSocket.stream(noDelay: true) }
      clients.append(client)
      let error = TCPSocket.connect(client, to: .v4(address), port: port, timeout: 5)
      if error != 0 { throw LabError("connect to \(address):\(port): \(String(cString: strerror(error)))") }
      servers.append(try Self.accept(listener))
    }
    let start = Clock.now()
    let window = (start + warmup)...(start + warmup + duration)
    let client = Loop(fds: clients, role: .client(request: request, response: response), window: window)
    let server = Loop(fds: servers, role: .server(request: request, response: response), window: window)
    let serverDone = server.spawn()
    let clientDone = client.spawn()
    Clock.sleep(until: window.lowerBound)
    let cpuBefore = try CPUTime.now(foreign: foreign)
    Clock.sleep(until: window.upperBound)
    let cpu = try CPUTime.now(foreign: foreign) - cpuBefore
    clientDone.wait()
    // The client has stopped; closing its sockets ends the server's loop.
    for fd in clients { shutdown(fd, Int32(SHUT_RDWR)) }
    server.stop()
    serverDone.wait()
    if let error = client.failure ?? server.failure { throw LabError("rr generator: \(error)") }
    return Outcome(
      transactions: client.completed, seconds: duration, latencies: client.latencies.sorted(), cpu: cpu)
  }

  /// Monotonic seconds.
  enum Clock {
    static func now() -> Double {
      var time = timespec()
      clock_gettime(CLOCK_MONOTONIC, &time)
      return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func sleep(until deadline: Double) {
      let remaining = deadline - now()
      if remaining > 0 { usleep(UInt32(remaining * 1e6)) }
    }
  }

  /// One side's event loop over all its connections.
  final class Loop: @unchecked Sendable {
    enum Role {
      case client(request: Int, response: Int)
      case server(request: Int, response: Int)
    }

    /// Where one connection is in its transaction.
    struct State {
      var sending: Bool
      var remaining: Int
      var started: Double = 0
    }

    let fds: [Int32]
    let role: Role
    let window: ClosedRange<Double>
    private let lock = NSLock()
    private var stopped = false
    private(set) var completed = 0
    private(set) var latencies: [Double] = []
    private(set) var failure: String?

    init(fds: [Int32], role: Role, window: ClosedRange<Double>) {
      self.fds = fds
      self.role = role
      self.window = window
    }

    func stop() {
      lock.lock()
      stopped = true
      lock.unlock()
    }

    private var isStopped: Bool {
      lock.lock()
      defer { lock.unlock() }
      return stopped
    }

    /// Runs the loop on a thread of its own; the semaphore is signalled when it ends.
    func spawn() -> DispatchSemaphore {
      let done = DispatchSemaphore(value: 0)
      let thread = Thread { [self] in
        run()
        done.signal()
      }
      thread.stackSize = 1 << 20
      thread.start()
      return done
    }

    private func run() {
      let (request, response, isClient): (Int, Int, Bool) =
        switch role {
        case .client(let request, let response): (request, response, true)
        case .server(let request, let response): (request, response, false)
        }
      let payload = [UInt8](repeating: 0x5a, count: max(request, response))
      var buffer = [UInt8](repeating: 0, count: 65536)
      // A client starts by sending; a server by receiving. poll(2) over at most a few dozen sockets costs
      // no more than epoll, which Glibc's Swift module does not export.
      var states = fds.map { _ in State(sending: isClient, remaining: request) }
      var polled = fds.map { pollfd(fd: $0, events: Int16(isClient ? POLLOUT : POLLIN), revents: 0) }
      var open = fds.count
      while open > 0 {
        if isClient && RRGenerator.Clock.now() > window.upperBound { return }
        if !isClient && isStopped { return }
        let ready = poll(&polled, nfds_t(polled.count), 50)
        if ready < 0 {
          if errno == EINTR { continue }
          return fail("poll: \(String(cString: strerror(errno)))")
        }
        for index in polled.indices where polled[index].revents != 0 && polled[index].fd >= 0 {
          let fd = fds[index]
          var state = states[index]
          // Move as many bytes as the socket takes now; a state change flips what is polled for.
          while true {
            if state.sending {
              if isClient && state.remaining == request { state.started = RRGenerator.Clock.now() }
              let sent = payload.withUnsafeBytes { send(fd, $0.baseAddress!, state.remaining, Int32(MSG_NOSIGNAL)) }
              if sent < 0 {
                if errno == EAGAIN || errno == EINTR { break }
                if isClient { return fail("send: \(String(cString: strerror(errno)))") }
                polled[index].fd = -1
                open -= 1
                break
              }
              state.remaining -= sent
              if state.remaining > 0 { continue }
              state = State(sending: false, remaining: isClient ? response : request, started: state.started)
              polled[index].events = Int16(POLLIN)
            } else {
              let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, min(state.remaining, 65536), 0) }
              if received == 0 || received < 0 && errno != EAGAIN && errno != EINTR {
                // The other side closed: the end of the run for a server, an error for a client.
                if isClient { return fail("the server closed a connection") }
                polled[index].fd = -1
                open -= 1
                break
              }
              if received < 0 { break }
              state.remaining -= received
              if state.remaining > 0 { continue }
              if isClient {
                let now = RRGenerator.Clock.now()
                if window.contains(now) {
                  completed += 1
                  latencies.append((now - state.started) * 1e6)
                }
                if now > window.upperBound { return }
                state = State(sending: true, remaining: request)
              } else {
                state = State(sending: true, remaining: response)
              }
              polled[index].events = Int16(POLLOUT)
            }
          }
          states[index] = state
        }
      }
    }

    private func fail(_ message: String) {
      lock.lock()
      if failure == nil { failure = message }
      lock.unlock()
    }
  }

  /// Accepts a connection on `listener` as a non-blocking socket with TCP_NODELAY.
  private static func accept(_ listener: Int32) throws -> Int32 {
    guard TCPSocket.wait(listener, for: Int16(POLLIN), timeout: 5) else {
      throw LabError("accept: no connection arrived")
    }
    let fd = Glibc.accept(listener, nil, nil)
    guard fd >= 0 else { throw LabError("accept: \(String(cString: strerror(errno)))") }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    var yes: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    return fd
  }
}
