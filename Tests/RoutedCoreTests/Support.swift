import Foundation
import RoutedCore
import Testing

/// Test fixtures shipped with the test target.
enum Fixture {
  static func text(_ name: String) -> String {
    let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    return try! String(contentsOf: url, encoding: .utf8)
  }

  static func domain(_ name: String) throws -> DomainDescription {
    try DomainXML.parse(Array(text(name).utf8))
  }

  static var config: HostConfig {
    try! ConfigLoader.load(yaml: text("lpar11.yaml"), file: "lpar11.yaml")
  }

  /// A host where every interface of the example config exists; osa10 holds the talk's OSA address.
  static var facts: HostFacts {
    HostFacts(addresses: [
      "br-ex": [], "br-be": [], "osa10": [IPv4Interface("10.131.11.254/8")!],
      "hsi0": [IPv4Interface("172.31.56.1/24")!], "osa172": [IPv4Interface("172.18.0.11/15")!],
    ])
  }
}

/// Loading `yaml` as `c.yaml` fails with a ConfigError whose text is exactly `expected`: file, line, field and
/// message.
func expectConfigError(
  _ yaml: String, _ expected: String, facts: HostFacts? = nil,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(throws: ConfigError.self, sourceLocation: sourceLocation) {
    try ConfigLoader.load(yaml: yaml, file: "c.yaml", facts: facts)
  }
  do {
    _ = try ConfigLoader.load(yaml: yaml, file: "c.yaml", facts: facts)
  } catch {
    #expect("\(error)" == expected, sourceLocation: sourceLocation)
  }
}
