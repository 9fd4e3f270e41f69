import Glibc

/// The audit trail: one syslog line (daemon facility) per change; never stdout, which libvirt reads as XML.
public enum AuditLog {
  /// Sends `line` to syslog as LOG_DAEMON|LOG_INFO under the ident `routed-hook`.
  public static func record(_ line: String) {
    _ = opened
    // String is a CVarArg only with Foundation, which the hook does not link; pass the C string instead.
    line.withCString { text in withVaList([text]) { vsyslog(LOG_DAEMON | LOG_INFO, "%s", $0) } }
  }

  /// openlog keeps the ident pointer, so it must live for the whole process: a leaked strdup.
  private static let opened: Bool = {
    openlog(strdup("routed-hook"), LOG_PID, LOG_DAEMON)
    return true
  }()
}
