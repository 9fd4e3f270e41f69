import Foundation
import Yams

/// Reads which guest networks of a routed-hook config are libvirt networks (`libvirtNetwork:`), so the lab
/// drives the network hook for them. Only these two keys are read; routed-hook validates the rest.
enum LibvirtNetworks {
  static func declared(in hook: HookConfigSource?, baseDirectory: String) -> [LibvirtNetwork] {
    let text: String?
    switch hook {
    case .inline(let yaml): text = yaml
    case .file(let path): text = FileSystem.read(path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)")
    case nil: text = nil
    }
    guard let text, let node = try? Yams.compose(yaml: text),
      case .sequence(let networks)? = node["guestNetworks"]
    else { return [] }
    return networks.compactMap { network in
      guard let name = network["libvirtNetwork"]?.string, let bridge = network["bridge"]?.string else {
        return nil
      }
      return LibvirtNetwork(name: name, bridge: bridge)
    }
  }
}
