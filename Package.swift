// swift-tools-version:6.0
import PackageDescription

/// libvirt starts the hook five times per guest lifecycle, so start-up is most of its cost. A non-PIE
/// executable has no relative relocations to apply at each start; with `--static-swift-stdlib` (see the
/// README's build command) the hook starts in about 2.5 ms instead of 4.6. `--no-export-dynamic`: SwiftPM exports
/// every public symbol of an executable, and the runtime's `dladdr` lookups at start scan them all (measured with
/// callgrind: 74k of 5.8M instructions per hook call).
let fastStart: [LinkerSetting] = [
  .unsafeFlags(
    ["-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic"], .when(configuration: .release))
]

/// Links C libraries from their static archives: each shared library costs every hook call its loading
/// and symbol binding (libyaml and libnftnl: 0.2 ms of a 1.7 ms call). Debian ships no libmnl.a.
func staticArchives(_ names: [String]) -> [LinkerSetting] {
  [.unsafeFlags(names.flatMap { ["-Xlinker", "-l:\($0)"] })]
}

let package = Package(
  name: "routed-hook",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "routed-hook", targets: ["Hook"]),
    .executable(name: "routed-lab", targets: ["LabRunner"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // Every decision: config, domain XML, hook contract, exit policy, plan. Pure, no root.
    .target(name: "RoutedCore", dependencies: ["CYAML"], linkerSettings: staticArchives(["libyaml.a"])),
    // libyaml, the parser Yams wraps: the hook cannot afford Foundation's start-up (see README, "Dependencies").
    .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),
    // The one place C is called: libmnl, libnftnl and rtnetlink headers plus a few inline shims.
    .systemLibrary(name: "CNetlink", providers: [.apt(["libmnl-dev", "libnftnl-dev"])]),
    // libvirt's headers only: `reconcile` dlopen()s libvirt.so.0, so the hook binary never links or loads it.
    .systemLibrary(name: "CLibvirt"),
    // Effects: netlink, sysctl files, records, the lock, syslog. Interprets a RoutedCore plan.
    .target(
      name: "RoutedKernel", dependencies: ["RoutedCore", "CNetlink"],
      linkerSettings: staticArchives(["libnftnl.a"]) + [.linkedLibrary("mnl")]),
    // The hook's use cases (a hook call, apply, remove, status): core decisions wired to kernel effects.
    .target(name: "HookRuntime", dependencies: ["RoutedCore", "RoutedKernel", "CLibvirt"]),
    // `routed-hook watch`: the daemon (kernel and libvirt events, repairs, status, metrics). Not on the hook's path.
    .target(name: "Watch", dependencies: ["RoutedCore", "RoutedKernel", "HookRuntime", "CLibvirt", "CNetlink"]),
    .executableTarget(
      name: "Hook",
      dependencies: [
        "RoutedCore", "HookRuntime", "Watch",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      linkerSettings: fastStart,
      plugins: ["BuildVersion"]
    ),
    // The lab as a library, so integration tests can build their own small topologies.
    .target(name: "LabKit", dependencies: ["Yams", "RoutedCore"]),
    .executableTarget(
      name: "LabRunner",
      dependencies: ["LabKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      plugins: ["BuildVersion"]
    ),
    // `--version` of both commands: scripts/version (the package version, or git describe) before each build.
    .plugin(name: "BuildVersion", capability: .buildTool()),
    .testTarget(name: "RoutedCoreTests", dependencies: ["RoutedCore"], resources: [.copy("Fixtures")]),
    .testTarget(name: "HookTests", dependencies: ["Hook", "RoutedCore", "LabKit"]),
    .testTarget(
      name: "RoutedKernelTests", dependencies: ["RoutedKernel", "RoutedCore", "LabKit"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "LabKitTests", dependencies: ["LabKit"]),
    .testTarget(name: "WatchTests", dependencies: ["Watch", "HookRuntime", "RoutedCore", "RoutedKernel"]),
    .testTarget(
      name: "ReconcileTests", dependencies: ["HookRuntime", "RoutedKernel", "RoutedCore"],
      resources: [.copy("Fixtures")]),
    // Every hook op as one whole transaction against a kernel answering from a recorded transcript: no root.
    .testTarget(
      name: "TransactionTests", dependencies: ["HookRuntime", "RoutedKernel", "RoutedCore"],
      exclude: ["Fixtures"]),
  ]
)
