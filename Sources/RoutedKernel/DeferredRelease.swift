import CNetlink
import Glibc

/// Lets a hook process exit at its deleting commit's ACK, leaving the release of its nfnetlink socket (and
/// the RCU grace period nf_tables waits for there) to a detached holder process that libvirt never sees.
///
/// Why the wait is at the release, not at the commit (kernel 6.1 and 6.18, `net/netfilter/nf_tables_api.c`):
/// `nf_tables_commit` makes the change visible to the packet path (the generation switches, deleted set
/// elements are unlinked) and nfnetlink sends the batch's ACKs only after it returns; the deleted objects are
/// moved to a destroy list and freed by `nf_tables_trans_destroy_work`, which calls `synchronize_rcu()`.
/// Nothing waits for that work at the commit. But every release of a bound NETLINK_NETFILTER socket runs the
/// NETLINK_URELEASE notifier `nft_rcv_nl_event`, which takes the netns's `commit_mutex` and calls
/// `nf_tables_trans_destroy_flush_work()`: the releasing process waits for whatever destroy work is pending
/// then, its own or anyone's (6.1 has one work for every netns, 6.18 one per netns). A hook process releases
/// its socket at exit, so libvirt used to wait one grace period (8–17 ms here) per `stopped` for memory
/// reclamation it does not need. Evidence and measurements: bench/RESULTS.md, "Issue 18".
///
/// The holder is a process started with `clone(CLONE_VM)` (see `cnl_spawn_release_holder`: no memory is
/// copied, and the hook's exit leaves its address space to the holder) that keeps only the socket and a
/// marker lock, closes every other descriptor before the hook may exit (so libvirt's stdout/stderr pipes
/// reach EOF with the hook, and the hook lock is not held), calls `setsid`, waits one grace period
/// (membarrier, which is `synchronize_rcu()`), and exits: by then the destroy work has run, so its own
/// release takes `commit_mutex` only briefly. libvirt waits for the hook's pid and pipes only
/// (`virCommandRun`), so it never waits for the holder.
///
/// A process that committed no deletion (`started`) normally releases at exit as before. But while a
/// holder is pending its release would wait for that holder's destroy work, so it hands its socket over
/// too; holders take the marker (`<state>/release.lock`) shared, and a shared lock that an exclusive
/// try-lock cannot get is how a later process sees one pending.
///
/// `ROUTED_HOOK_DEFERRED_RELEASE=0` turns it off (the socket is released at exit, as before); so does a
/// clone that fails.
public enum DeferredRelease {
  /// What `handOff` did.
  public enum Outcome: Equatable, Sendable {
    /// No nfnetlink socket was left to exit, or none needs a holder: exit releases it.
    case exitReleases
    /// A holder process with this pid keeps the socket.
    case held(pid_t)
    /// Turned off, or the clone failed: exit releases the socket and waits as before.
    case fallback
  }

  /// The nfnetlink socket left to exit (-1: none), and whether it committed a deletion.
  nonisolated(unsafe) private static var socket: Int32 = -1
  nonisolated(unsafe) private static var deleted = false

  /// Name of the marker file in the state directory.
  static let markerName = "release.lock"

  /// Registers the nfnetlink socket a process leaves for exit to close.
  static func adopt(_ descriptor: Int32) { socket = descriptor }

  /// Called after each committed batch that deleted something: its destroy work is pending now.
  static func noteDeletingCommit() { deleted = true }

  /// Hands the socket to a holder when its release would wait: right before the hook process exits.
  @discardableResult
  public static func handOff(stateDirectory: String) -> Outcome {
    guard socket >= 0 else { return .exitReleases }
    if let setting = getenv("ROUTED_HOOK_DEFERRED_RELEASE"), String(cString: setting) == "0" {
      return .fallback
    }
    let marker = openMarker(stateDirectory: stateDirectory)
    if !deleted && !(marker >= 0 && holderPending(marker)) {
      if marker >= 0 { close(marker) }
      return .exitReleases
    }
    // Shared, never waiting: a failure only means the next process will not see this holder.
    let held = marker >= 0 && flock(marker, LOCK_SH | LOCK_NB) == 0
    let pid = cnl_spawn_release_holder(socket, held ? marker : -1)
    guard pid > 0 else { return .fallback }
    return .held(pid)
  }

  /// The marker, opened as the state directory's other files are: never through a symbolic link (O_CREAT
  /// would create its target wherever it points), and only a regular file; -1 otherwise, which hands off
  /// without telling the next process (as a failed open always did).
  static func openMarker(stateDirectory: String) -> Int32 {
    let marker = open(
      stateDirectory + "/" + markerName, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
    guard marker >= 0 else { return -1 }
    var info = stat()
    guard fstat(marker, &info) == 0, info.isRegularFile else {
      close(marker)
      return -1
    }
    return marker
  }

  /// True when some holder has the marker: an exclusive try-lock fails. Given back at once when it succeeds.
  private static func holderPending(_ marker: Int32) -> Bool {
    if flock(marker, LOCK_EX | LOCK_NB) == 0 {
      flock(marker, LOCK_UN)
      return false
    }
    return errno == EWOULDBLOCK
  }
}
