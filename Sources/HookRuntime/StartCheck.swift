import RoutedCore
import RoutedKernel

/// The doctor checks a guest start must pass (`prepare`, `start`): its bridges' port MTUs and the paths to
/// its addresses. Netlink only, no child process: this runs on the hook's path.
///
/// OVS is skipped here: on the userspace datapath its ports are not enslaved to anything the kernel shows,
/// and on the kernel datapath they all hang off `ovs-system`, so the bridge they belong to is only in OVSDB.
/// `routed-hook doctor` reads OVSDB and covers OVS bridges.
extension GuestRouting {
  /// `snapshot` holds the links, addresses and the routes to the domain's addresses.
  func checkStart(_ snapshot: HostSnapshot, config: HostConfig, interfaces: [ManagedInterface]) throws {
    guard !interfaces.isEmpty else { return }
    if let finding = Doctor.startFindings(snapshot, config: config, interfaces: interfaces).first {
      throw SystemError("refusing to start: \(finding.id): \(finding.summary)")
    }
  }
}
