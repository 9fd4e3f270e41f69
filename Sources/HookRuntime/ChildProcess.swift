#if canImport(Glibc)
  import Glibc
#endif
import RoutedKernel

/// Runs a read-only tool (`ip -j`, `nft -j`, `ovs-vsctl`) and collects its stdout, for the host snapshot that
/// `doctor`, `init` and the watch daemon's doctor-findings metric read (SnapshotCapture).
///
/// A hook call never starts a child process (its cost and its failure modes would be libvirt's): it reads and
/// writes the kernel through netlink only. Doctor and init are run by hand and the daemon's metric is written
/// between repairs, all off the hook's path, and these tools already speak JSON for everything they read.
enum ChildProcess {
  /// What a finished tool did: its exit status and stdout (stderr is discarded).
  struct Result {
    var status: Int32
    var stdout: String
  }

  /// The tool's stdout when it exits 0; nil when it cannot be started or fails.
  static func output(_ argv: [String]) -> String? {
    guard let result = run(argv), result.status == 0 else { return nil }
    return result.stdout
  }

  /// Runs `argv` (looked up in PATH) to completion; nil when it cannot be started (not installed).
  /// `withStderr` collects stderr into `stdout` too, for tools that report problems there (`bird -p`).
  static func run(_ argv: [String], withStderr: Bool = false) -> Result? {
    var pipe: [Int32] = [-1, -1]
    // Close-on-exec on both ends: the child gets its stdout through dup2 only. Doctor is single-threaded, so
    // no other spawn can inherit the pipe between pipe() and fcntl().
    guard Glibc.pipe(&pipe) == 0 else { return nil }
    for fd in pipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    if withStderr {
      posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
    } else {
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    let arguments = argv.map { strdup($0) } + [nil]
    defer { arguments.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, argv[0], &actions, nil, arguments, environ)
    close(pipe[1])
    defer { close(pipe[0]) }
    guard spawned == 0 else { return nil }
    let result = try? Files.readAll(FileDescriptor(rawValue: pipe[0]), limit: 64 << 20, what: argv[0])
    var status: Int32 = 0
    _ = try? retryingInterrupts { waitpid(pid, &status, 0) }
    guard case .contents(let bytes)? = result else { return Result(status: -1, stdout: "") }
    // A normal exit's code, or -1 for a signal.
    let code = status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    return Result(status: code, stdout: String(decoding: bytes, as: UTF8.self))
  }
}
