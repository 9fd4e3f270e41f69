#if canImport(Glibc)
  import Glibc
#endif
import HookRuntime
import RoutedCore

// libvirt runs /etc/libvirt/hooks/qemu.d/routed-hook <domain> <op> <subop> <extra>: the kind is in argv[0].
// That path skips argument parsing entirely and never touches stdout.
if let kind = HookKind(executablePath: CommandLine.arguments[0]) {
  exit(
    HookRunner.run(
      kind: kind, arguments: Array(CommandLine.arguments.dropFirst()), settings: .fromEnvironment()))
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "hook",
  let status = RoutedHook.HookCall.runVerbatim(CommandLine.arguments.dropFirst(2))
{
  exit(status)
}
RoutedHook.main()
