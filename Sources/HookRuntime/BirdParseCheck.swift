#if canImport(Glibc)
  import Glibc
#endif
import RoutedCore

/// Runs BIRD's own parser (`bird -p`) over the configs `routed-hook bird-config` prints, for `check`.
public enum BirdParseCheck {
  public enum Outcome: Equatable, Sendable {
    case accepted
    /// BIRD's complaint, e.g. `bird: /tmp/…/bird.conf:12:3 syntax error, unexpected …`.
    case refused(String)
    /// No `bird` in PATH: nothing was checked.
    case notInstalled
  }

  /// Parse-checks the whole config and the fragment (inside the smallest main config that includes it).
  public static func check(_ config: HostConfig, source: String) -> [(what: String, outcome: Outcome)] {
    guard let full = BirdConfig.text(config, source: source, mode: .full),
      let fragment = BirdConfig.text(config, source: source, mode: .fragment),
      let bgp = config.bgp, let own = config.uplink(named: bgp.uplink)?.address
    else { return [] }
    var template = Array("/tmp/routed-hook-bird.XXXXXX".utf8CString)
    guard let directory = mkdtemp(&template).map({ String(cString: $0) }) else {
      return [("bird config", .refused("cannot make a scratch directory in /tmp"))]
    }
    defer {
      for name in ["bird.conf", "fragment.conf", "main.conf"] { unlink("\(directory)/\(name)") }
      rmdir(directory)
    }
    let files = [
      ("bird.conf", full), ("fragment.conf", fragment),
      (
        "main.conf",
        BirdConfig.wrapper(including: "\(directory)/fragment.conf", routerID: bgp.routerID ?? own.address)
      ),
    ]
    for (name, text) in files where !write(text, to: "\(directory)/\(name)") {
      return [("bird config", .refused("cannot write \(directory)/\(name)"))]
    }
    return [
      ("bird-config", parse("\(directory)/bird.conf")),
      ("bird-config --fragment", parse("\(directory)/main.conf")),
    ]
  }

  static func parse(_ path: String) -> Outcome {
    guard let result = ChildProcess.run(["bird", "-p", "-c", path], withStderr: true) else {
      return .notInstalled
    }
    if result.status == 0 { return .accepted }
    let text = result.stdout.split(separator: "\n").map(String.init).joined(separator: "; ")
    return .refused(text.isEmpty ? "bird -p exited \(result.status)" : text)
  }

  static func write(_ text: String, to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
  }
}
