import Foundation

/// A node file for libvirt's test driver that lists testbed guests as running domains, so `reconcile` can ask
/// libvirt's real client API (`test:///PATH`) about them without a daemon.
enum TestDriverNode {
  /// Writes the node file and returns its URI; the domains of `paused` are listed paused (an incoming
  /// migration before its resume), the others running.
  static func write(
    running indices: [Int], paused: [Int] = [], in scratch: ScratchDirectory, name: String = "node.xml"
  ) throws
    -> String
  {
    let domains = indices.map { index in
      """
        <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
          \(paused.contains(index) ? "<test:runstate>3</test:runstate>" : "")
          <name>\(Testbed.name(index))</name>
          <uuid>\(Testbed.uuid(index))</uuid>
          <memory>65536</memory>
          <os><type>hvm</type></os>
          <metadata>
            <rh:guest xmlns:rh="urn:routed-hook:1">
              <rh:interface mac="\(Testbed.mac(index))" address="\(Testbed.address(index))"/>
            </rh:guest>
          </metadata>
          <devices>
            <interface type='bridge'>
              <mac address='\(Testbed.mac(index))'/>
              <source bridge='br-ex'/>
            </interface>
          </devices>
        </domain>
      """
    }
    return "test://" + (try scratch.write(name, "<node>\n\(domains.joined(separator: "\n"))\n</node>\n"))
  }
}

extension Testbed {
  /// `routed-hook reconcile` in the host namespace against a test driver node file.
  func reconcile(_ uri: String, _ extra: [String] = []) throws -> HookProcess.Result {
    try HookProcess.run(
      ["reconcile", "--connect", uri, "--config", configPath, "--state-dir", stateDirectory] + extra,
      namespace: host)
  }

  /// The six set elements the testbed config gives a running guest, as `KernelReadBack` spells them.
  static func expectedElements(_ index: Int) -> Set<String> {
    let (address, name) = (address(index), name(index))
    return [
      "inet routed_hook guests_guests \(address) # \(name)",
      "inet routed_hook egress \(address) . osa10 # \(name)",
      "inet routed_hook ingress \(address) . osa10 # \(name)",
      "arp routed_hook answer_production \(address) # \(name)",
      "inet routed_hook egress \(address) . osa172 # \(name)",
      "ip routed_hook_nat masquerade_guests \(address) . osa172 # \(name)",
    ]
  }
}

extension KernelReadBack {
  /// Elements that belong to guests (not the host's own addresses, commented "host").
  var guestElements: Set<String> { elements.filter { !$0.hasSuffix("# host") } }

  /// Every base chain rule of our tables, without handles, for comparing rulesets rebuilt from scratch.
  static func rules(_ namespace: String) throws -> [String] {
    let ruleset = try Shell.inNamespace(namespace, ["nft", "-j", "list", "ruleset"]).out
    let root = try JSONSerialization.jsonObject(with: Data(ruleset.utf8)) as! [String: Any]
    return try (root["nftables"] as? [[String: Any]] ?? []).compactMap { item -> String? in
      guard var rule = item["rule"] as? [String: Any] else { return nil }
      rule["handle"] = nil
      return String(
        decoding: try JSONSerialization.data(withJSONObject: rule, options: [.sortedKeys]), as: UTF8.self)
    }
  }
}
