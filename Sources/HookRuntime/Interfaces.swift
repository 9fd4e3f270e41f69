#if canImport(Glibc)
  import Glibc
#endif

/// The names of this namespace's network interfaces, from libc (no netlink dump, no child process).
public enum Interfaces {
  public static func names() -> [String] {
    guard let list = if_nameindex() else { return [] }
    defer { if_freenameindex(list) }
    var names: [String] = []
    var entry = list
    while entry.pointee.if_index != 0, let name = entry.pointee.if_name {
      names.append(String(cString: name))
      entry += 1
    }
    return names
  }
}
