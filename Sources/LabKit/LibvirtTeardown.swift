#if canImport(Glibc)
  import Glibc
#endif

/// `down` for libvirt hosts: domains destroyed through libvirtd while it lives (so routed-hook and libvirt
/// clean up as on a real host), then every process of the lab's libvirt stack found by namespace or path.
struct LibvirtTeardown {
  let names: LabNames

  /// Hosts of this lab that ran a libvirtd (they have its pid file).
  var hosts: [String] {
    FileSystem.list(names.labDirectory).filter {
      FileSystem.exists(names.libvirtPidFile($0, "libvirtd"))
    }
  }

  /// `virsh destroy` of every running domain of every driver, best effort: a dead daemon is not waited for.
  func destroyDomains() {
    for host in hosts where FileSystem.exists(names.libvirtSocket(host)) {
      for driver in ["lxc", "qemu"] {
        let uri = names.libvirtURI(host, driver: driver)
        guard let list = try? Command.run(["virsh", "-q", "-c", uri, "list", "--name"], timeout: 10),
          list.succeeded
        else { continue }
        for domain in list.stdout.split(separator: "\n").map(String.init) where !domain.isEmpty {
          _ = try? Command.run(["virsh", "-q", "-c", uri, "destroy", domain], timeout: 20)
        }
      }
    }
  }

  /// The processes of the lab's libvirt stacks: libvirtd, virtlogd, libvirt_lxc and QEMU in the lab's
  /// namespaces, and the containers' init scripts (found by their path in the lab's directory, also when
  /// their namespace was never attached). Anything else (a shell someone opened in a lab namespace, a `tail`
  /// of a lab log) is not the lab's to end.
  func processes(namespaces: [String]) -> [ProcessRecord] {
    guard !hosts.isEmpty else { return [] }
    var pids = Set<Int32>()
    for namespace in namespaces {
      let output = (try? Command.run(["ip", "netns", "pids", namespace], timeout: 10))?.stdout ?? ""
      pids.formUnion(output.split(separator: "\n").compactMap { Int32($0) })
    }
    let daemons = ["libvirtd", "virtlogd", "libvirt_lxc", "qemu-system-x86"]
    var found: [ProcessRecord] = []
    for entry in FileSystem.list("/proc") {
      guard let pid = Int32(entry), pid != getpid(),
        let name = FileSystem.read("/proc/\(entry)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines)
      else { continue }
      let arguments = FileSystem.read("/proc/\(entry)/cmdline")?.split(separator: "\0") ?? []
      let containerInit = arguments.contains {
        $0.hasPrefix(names.labDirectory + "/") && $0.hasSuffix(".init")
      }
      guard (pids.contains(pid) && daemons.contains(name)) || containerInit,
        let record = ProcessRecord.current(pid: pid, name: name)
      else { continue }
      found.append(record)
    }
    return found
  }
}
