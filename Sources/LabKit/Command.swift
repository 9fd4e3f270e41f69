import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What a finished child process did.
public struct CommandResult: Sendable {
  public var argv: [String]
  public var status: Int32
  public var stdout: String
  public var stderr: String
  /// True when the lab killed the child because it ran past its time limit.
  public var timedOut: Bool

  /// Exit status 0 within the time limit.
  public var succeeded: Bool { status == 0 && !timedOut }

  /// The command line and its error output, for messages about a failure.
  public var failureSummary: String {
    let command = argv.joined(separator: " ")
    let reason = timedOut ? "timed out" : "exit \(status)"
    let output = (stderr.isEmpty ? stdout : stderr).trimmingCharacters(in: .whitespacesAndNewlines)
    return output.isEmpty ? "\(command): \(reason)" : "\(command): \(reason): \(output)"
  }
}

/// A failed command the lab could not do without.
public struct CommandError: Error, CustomStringConvertible {
  public var result: CommandResult
  public var description: String { result.failureSummary }
}

/// Runs external tools (ip, ovs-*, ping …) with posix_spawn, feeding stdin and collecting both outputs.
public enum Command {
  /// Runs `argv` (looked up in PATH) to completion; never throws for a non-zero exit, only for a failed spawn.
  @discardableResult
  public static func run(
    _ argv: [String], stdin input: String? = nil, environment: [String: String]? = nil, timeout: Double = 60
  ) throws -> CommandResult {
    var inPipe: [Int32] = [-1, -1]
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    // Pipes are made and marked close-on-exec under one lock with the spawn: a child spawned by another
    // thread in between would inherit our pipe ends and keep them open, and our reads would never end.
    spawnLock.lock()
    guard makePipe(&inPipe), makePipe(&outPipe), makePipe(&errPipe) else {
      spawnLock.unlock()
      throw LabError("cannot create pipes: \(String(cString: strerror(errno)))")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // A child in its own process group can be killed with everything it started when it overruns.
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
    posix_spawnattr_setpgroup(&attributes, 0)
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)

    let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let status = withCStrings(argv) { argvPointers in
      withCStrings(env) { envPointers in
        posix_spawnp(&pid, argv[0], &actions, &attributes, argvPointers, envPointers)
      }
    }
    close(inPipe[0])
    close(outPipe[1])
    close(errPipe[1])
    spawnLock.unlock()
    guard status == 0 else {
      close(inPipe[1])
      close(outPipe[0])
      close(errPipe[0])
      throw LabError("cannot run \(argv[0]): \(String(cString: strerror(status)))")
    }
    let (stdout, stderr, timedOut) = pump(
      pid: pid, input: Array((input ?? "").utf8), stdinFD: inPipe[1], stdoutFD: outPipe[0],
      stderrFD: errPipe[0],
      timeout: timeout)
    var waitStatus: Int32 = 0
    while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
    let exitCode: Int32 = (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
    return CommandResult(argv: argv, status: exitCode, stdout: stdout, stderr: stderr, timedOut: timedOut)
  }

  /// Runs `argv` and throws unless it exits 0; returns its standard output.
  @discardableResult
  public static func check(
    _ argv: [String], stdin input: String? = nil, environment: [String: String]? = nil, timeout: Double = 60
  ) throws -> String {
    let result = try run(argv, stdin: input, environment: environment, timeout: timeout)
    guard result.succeeded else { throw CommandError(result: result) }
    return result.stdout
  }

  /// Moves stdin in and both outputs out with poll, so no pipe can fill up and deadlock the child.
  private static func pump(
    pid: pid_t, input: [UInt8], stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, timeout: Double
  ) -> (String, String, Bool) {
    var written = 0
    var inFD = stdinFD
    if input.isEmpty {
      close(inFD)
      inFD = -1
    } else {
      _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK)
    }
    var out: [UInt8] = []
    var err: [UInt8] = []
    var open = [stdoutFD: true, stderrFD: true]
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    var buffer = [UInt8](repeating: 0, count: 65536)
    while open.values.contains(true) {
      var fds: [pollfd] = []
      if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
      for (fd, isOpen) in open where isOpen { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
      let remaining = deadline.timeIntervalSinceNow
      if remaining <= 0 {
        timedOut = true
        kill(-pid, SIGKILL)
        break
      }
      let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 1) * 1000) + 1)
      if ready < 0 && errno != EINTR { break }
      for entry in fds where entry.revents != 0 {
        if entry.fd == inFD {
          let count = input.withUnsafeBufferPointer { pointer in
            write(inFD, pointer.baseAddress! + written, input.count - written)
          }
          if count > 0 { written += count }
          if count < 0 && errno != EAGAIN || written >= input.count {
            close(inFD)
            inFD = -1
          }
          continue
        }
        let count = read(entry.fd, &buffer, buffer.count)
        if count > 0 {
          if entry.fd == stdoutFD { out += buffer[0..<count] } else { err += buffer[0..<count] }
        } else if count == 0 || errno != EINTR && errno != EAGAIN {
          open[entry.fd] = false
        }
      }
    }
    if inFD >= 0 { close(inFD) }
    close(stdoutFD)
    close(stderrFD)
    return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), timedOut)
  }

  private static let spawnLock = NSLock()

  private static func makePipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return true
  }

  private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R
  {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
  }
}
