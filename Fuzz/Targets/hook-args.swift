// Fuzz target: the hook's argv and environment: argv[0]'s kind, `routed-hook hook …` read verbatim, the
// argument count and operation, the exit policy, and the settings from the environment.
import HookRuntime
@testable import RoutedCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHookArguments(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  // NUL-separated words: argv[0], the arguments, then (after an empty word) three environment values.
  let words = UnsafeBufferPointer(start: data, count: size).split(separator: 0, omittingEmptySubsequences: false)
    .map { String(decoding: $0, as: UTF8.self) }
  guard let path = words.first else { return 0 }
  let split = words.dropFirst().firstIndex(of: "") ?? words.endIndex
  let arguments = Array(words[1..<split])
  let environment = Array(words[min(split + 1, words.endIndex)...])
  _ = HookKind(executablePath: path)
  if let line = HookCommandLine.parse(arguments) {
    if line.arguments.count > arguments.count { fatalError("the command line grew") }
  }
  for kind in HookKind.allCases {
    guard let (invocation, _) = try? HookInvocation.lenient(kind: kind, arguments: arguments) else {
      // Refused: only ever with a wrong count or an unknown operation.
      if arguments.count == 4 && kind.knownOperations.contains(arguments[1]) {
        fatalError("four arguments with a known operation were refused")
      }
      continue
    }
    let policy = HookPolicy.decide(invocation)
    if ["stopped", "release", "reconnect"].contains(invocation.operation) && kind != .network
      && policy.onFailure != .neverFail
    {
      fatalError("an operation libvirt must not see fail may fail")
    }
  }
  let names = ["ROUTED_HOOK_CONFIG", "ROUTED_HOOK_STATE_DIR", "ROUTED_HOOK_LIBVIRT_RUN_DIR"]
  var variables: [String: String] = [:]
  for (name, value) in zip(names, environment) { variables[name] = value }
  let settings = Settings.resolve(config: nil, stateDirectory: nil, environment: variables)
  if settings.stateDirectory.isEmpty || settings.configPath.isEmpty { fatalError("an empty path in settings") }
  return 0
}
