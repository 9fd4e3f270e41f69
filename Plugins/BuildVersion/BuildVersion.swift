import Foundation
import PackagePlugin

/// Writes `BuildVersion.swift` (what `--version` prints) before every build, from `scripts/version`: the
/// package version when `ROUTED_HOOK_VERSION` is set (scripts/build-deb), else `git describe`. The file is
/// rewritten only when the version changes, so an unchanged tree recompiles nothing.
@main
struct BuildVersion: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuildVersion.swift")
    let script = context.package.directoryURL.appendingPathComponent("scripts/version")
    var environment: [String: String] = [:]
    if let version = ProcessInfo.processInfo.environment["ROUTED_HOOK_VERSION"] {
      environment["ROUTED_HOOK_VERSION"] = version
    }
    return [
      .prebuildCommand(
        displayName: "routed-hook version for \(target.name)",
        executable: URL(fileURLWithPath: "/bin/sh"),
        arguments: [script.path, "--swift", output.path],
        environment: environment,
        outputFilesDirectory: context.pluginWorkDirectoryURL)
    ]
  }
}
