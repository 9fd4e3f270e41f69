/// Every name and path the lab derives from its lab name: namespaces, ownership altnames, state directories.
public struct LabNames: Sendable {
  /// All namespaces of all labs start with this; `up` refuses to run beside one that no lab recorded.
  public static let namespacePrefix = "rl-"
  /// All ownership altnames start with this.
  public static let altnamePrefix = "rl."
  /// Where labs record what they made, so `down` works without the topology file.
  public static let defaultStateRoot = "/run/routed-lab"

  public let lab: String
  public let stateRoot: String

  public init(lab: String, stateRoot: String = LabNames.defaultStateRoot) {
    self.lab = lab
    self.stateRoot = stateRoot
  }

  /// The namespace of a node: `rl-<lab>-<node>`.
  public func namespace(_ node: String) -> String { "\(Self.namespacePrefix)\(lab)-\(node)" }

  /// The altname that marks a link as made by this lab; `down` and the ownership checks look for it.
  public func altname(node: String, interface: String) -> String {
    "\(Self.altnamePrefix)\(lab).\(node).\(interface)"
  }

  /// What every altname of this lab starts with.
  public var altnameStem: String { "\(Self.altnamePrefix)\(lab)." }
  /// What every namespace of this lab starts with.
  public var namespaceStem: String { "\(Self.namespacePrefix)\(lab)-" }

  /// The lab's state directory.
  public var labDirectory: String { "\(stateRoot)/\(lab)" }
  public var journal: String { "\(labDirectory)/journal" }
  public var topologyCopy: String { "\(labDirectory)/topology.yaml" }
  /// Holds the original topology file's directory, to resolve hook config files later.
  public var sourceRecord: String { "\(labDirectory)/source" }
  /// `--switch` / `--bridge-netfilter` as `up` was given them, when it was.
  public var switchOverrideRecord: String { "\(labDirectory)/switch-override" }
  public var runningDirectory: String { "\(labDirectory)/running" }
  public func runningMarker(_ guest: String) -> String { "\(runningDirectory)/\(guest)" }

  public func hostDirectory(_ host: String) -> String { "\(labDirectory)/\(host)" }
  public func ovsDirectory(_ host: String) -> String { "\(hostDirectory(host))/ovs" }
  public func ovsSocket(_ host: String) -> String { "\(ovsDirectory(host))/db.sock" }
  public func birdDirectory(_ host: String) -> String { "\(hostDirectory(host))/bird" }
  public func birdSocket(_ host: String) -> String { "\(birdDirectory(host))/bird.ctl" }
  public func hookStateDirectory(_ host: String) -> String { "\(hostDirectory(host))/hook-state" }
  public func hookConfig(_ host: String) -> String { "\(hostDirectory(host))/routed-hook.yaml" }
  /// A hand-built host's intent, as a routed-hook config that is never installed.
  public func intentConfig(_ host: String) -> String { "\(hostDirectory(host))/intent.yaml" }
  /// The config routed-hook's tools use on a host: its hook config, else its intent.
  public func config(of host: Host) -> String {
    host.hook != nil ? hookConfig(host.name) : intentConfig(host.name)
  }
  /// Records of `refused` prepare calls, apart from the hook's own.
  public func scratchStateDirectory(_ host: String) -> String { "\(hostDirectory(host))/intent-state" }
  public func domainXML(_ guest: String) -> String { "\(labDirectory)/domains/\(guest).xml" }
  /// The stand-in for libvirt's run directory on a host (`ROUTED_HOOK_LIBVIRT_RUN_DIR`): status files of the
  /// domains running there, `qemu/<domain>.xml`, which the network hook reads a domain's metadata from.
  public func libvirtRunDirectory(_ host: String) -> String { "\(hostDirectory(host))/libvirt" }
  public func statusFile(host: String, guest: String) -> String {
    "\(libvirtRunDirectory(host))/qemu/\(guest).xml"
  }
  /// Where a migrated guest runs now (`HOST TAP`); absent while it is on its topology host.
  public func placement(_ guest: String) -> String { "\(labDirectory)/placement/\(guest)" }
  /// A migration held in its overlap window (`HOST TAP` of the destination).
  public func migration(_ guest: String) -> String { "\(labDirectory)/migrating/\(guest)" }
  /// Hot-plugged NICs of a guest, one `MAC ADDRESS/PREFIX TAP DEVICE` line each.
  public func extraNICs(_ guest: String) -> String { "\(labDirectory)/nics/\(guest)" }
  /// Hook configs written for `refused` rows.
  public func scratchConfig(_ host: String, _ key: String) -> String {
    "\(hostDirectory(host))/intent-\(key).yaml"
  }
  public var scriptDirectory: String { "\(labDirectory)/scripts" }

  // MARK: A real libvirtd (hosts with `libvirt: true`)

  /// What a libvirt host's private mount namespace shows at libvirt's and routed-hook's system paths.
  public func libvirtMounts(_ host: String) -> [(source: String, target: String)] {
    [
      ("\(hostDirectory(host))/etc-libvirt", "/etc/libvirt"),
      ("\(hostDirectory(host))/var-lib-libvirt", "/var/lib/libvirt"),
      ("\(hostDirectory(host))/var-log-libvirt", "/var/log/libvirt"),
      ("\(hostDirectory(host))/var-cache-libvirt", "/var/cache/libvirt"),
      (libvirtRunDirectory(host), "/run/libvirt"),
      (hookStateDirectory(host), "/run/routed-hook"),
    ]
  }
  public func libvirtEtc(_ host: String) -> String { "\(hostDirectory(host))/etc-libvirt" }
  public func libvirtdLog(_ host: String) -> String { "\(hostDirectory(host))/var-log-libvirt/libvirtd.log" }
  public func libvirtPidFile(_ host: String, _ daemon: String) -> String {
    "\(hostDirectory(host))/\(daemon).pid"
  }
  public func libvirtDrivers(_ host: String) -> String { "\(hostDirectory(host))/libvirt-drivers" }
  public func libvirtSocket(_ host: String) -> String { "\(libvirtRunDirectory(host))/libvirt-sock" }
  /// A connection URI of the host's libvirtd for one driver, through its socket in the lab's state directory.
  public func libvirtURI(_ host: String, driver: String) -> String {
    "\(driver):///system?socket=\(libvirtSocket(host))"
  }
  /// An LXC guest's init script, run by libvirt as the container's first process.
  public func guestInit(_ host: String, _ guest: String) -> String {
    "\(hostDirectory(host))/guests/\(guest).init"
  }
  /// A QEMU guest's serial console, a unix socket QEMU listens on.
  public func serialSocket(_ host: String, _ guest: String) -> String {
    "\(hostDirectory(host))/guests/\(guest).serial"
  }
}
