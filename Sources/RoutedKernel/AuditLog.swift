import CNetlink
import Glibc

/// The audit trail: one syslog line (daemon facility) per change; never stdout, which libvirt reads as XML.
public enum AuditLog {
  /// Sends `line` to syslog as LOG_DAEMON|LOG_INFO under the ident `routed-hook`.
  public static func record(_ line: String) {
    _ = opened
    line.withCString { cnl_syslog(LOG_DAEMON | LOG_INFO, $0) }
  }

  /// openlog keeps the ident pointer, so it must live for the whole process: a leaked strdup.
  private static let opened: Bool = {
    openlog(strdup("routed-hook"), LOG_PID, LOG_DAEMON)
    return true
  }()
}
