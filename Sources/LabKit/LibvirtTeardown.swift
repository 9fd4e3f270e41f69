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

  /// Processes in the lab's namespaces (libvirtd, virtlogd, libvirt_lxc, QEMU, container inits) and any
  /// naming the lab's directory on their command line (a container whose namespace was never attached).
  func processes(namespaces: [String]) -> [ProcessRecord] {
    guard !hosts.isEmpty else { return [] }
    var pids = Set<Int32>()
    for namespace in namespaces {
      let output = (try? Command.run(["ip", "netns", "pids", namespace], timeout: 10))?.stdout ?? ""
      pids.formUnion(output.split(separator: "\n").compactMap { Int32($0) })
    }
    for entry in FileSystem.list("/proc") {
      guard let pid = Int32(entry), let commandLine = FileSystem.read("/proc/\(entry)/cmdline"),
        commandLine.contains(names.labDirectory + "/")
      else { continue }
      pids.insert(pid)
    }
    pids.remove(getpid())
    return pids.sorted().compactMap { pid in
      let name = FileSystem.read("/proc/\(pid)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
      return ProcessRecord.current(pid: pid, name: name)
    }
  }
}
