#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore
import RoutedKernel

/// Which running domain holds each guest address: `<state>/address/<ip>` is a symlink to the domain's UUID.
///
/// It lets a start check its addresses against every running guest in O(its NICs) instead of reading every
/// record, so a start costs the same with 10 or 4,000 guests. Entries are changed only under the hook lock.
struct AddressIndex {
  let directory: String

  init(stateDirectory: String) { directory = stateDirectory + "/address" }

  /// The UUID recorded for `address`, or nil.
  func owner(of address: IPAddress) -> String? {
    var buffer = [CChar](repeating: 0, count: 64)
    let count = readlink(path(address), &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Points `addresses` at `uuid`, replacing stale entries atomically (symlink, then rename over).
  func claim(_ addresses: [IPAddress], for uuid: String) throws(SystemError) {
    guard !addresses.isEmpty else { return }
    if mkdir(directory, 0o700) != 0 && errno != EEXIST {
      throw SystemError("cannot create \(directory): \(String(cString: strerror(errno)))")
    }
    for address in addresses where owner(of: address) != uuid {
      let target = path(address)
      let temporary = "\(target).\(getpid()).tmp"
      unlink(temporary)
      guard symlink(uuid, temporary) == 0, rename(temporary, target) == 0 else {
        throw SystemError("cannot record address \(address): \(String(cString: strerror(errno)))")
      }
    }
  }

  /// Removes the entries of `addresses` that still point at `uuid`.
  func release(_ addresses: [IPAddress], for uuid: String) {
    for address in addresses where owner(of: address) == uuid { unlink(path(address)) }
  }

  private func path(_ address: IPAddress) -> String { "\(directory)/\(address)" }
}

extension AddressIndex {
  /// Removes entries that point at a UUID with no record (a crash between removing a record and releasing its
  /// addresses leaves them); returns how many. Harmless to starts, which check the record, but misleading to people.
  func prune(keeping uuids: Set<String>) -> Int {
    guard let stream = opendir(directory) else { return 0 }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    closedir(stream)
    var removed = 0
    for name in names {
      guard let address = IPAddress(name), let uuid = owner(of: address), !uuids.contains(uuid) else {
        continue
      }
      if unlink(path(address)) == 0 { removed += 1 }
    }
    return removed
  }
}
