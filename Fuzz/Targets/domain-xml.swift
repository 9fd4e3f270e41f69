// Fuzz target: the domain XML reader, and the raw-byte shortcuts that must agree with it.
@testable import RoutedCore

/// A config without `domains:`, so the unmanaged shortcut is allowed to decide.
private let plainConfig = Array("guestNetworks: []\n".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDomainXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let tree = try? XMLElementNode.parse(bytes)
  // The shortcut's well-formedness check gives the parser's verdict.
  check(XMLReader.isWellFormed(bytes) == (tree != nil), "isWellFormed disagrees with the parser")
  let domain = try? DomainXML.parse(bytes)
  // Taken for unmanaged without a parse: then the parser accepts the document and finds no metadata of ours.
  if UnmanagedShortcut.applies(domainXML: bytes, config: plainConfig, hasRecord: { _ in false }) {
    check(tree != nil, "the unmanaged shortcut passed a document the parser refuses")
    check(domain?.metadata == nil, "the unmanaged shortcut passed a domain with routed-hook metadata")
  }
  // The removal shortcut's name and UUID are the parser's.
  if let head = UnmanagedShortcut.domainHead(bytes), let domain {
    check(domain.identity.uuid == head.uuid, "domainHead's UUID differs from the parser's")
    check(domain.identity.name == head.name, "domainHead's name differs from the parser's")
  }
  // Element comments are made only for domains routed-hook acts on, which need a valid name and UUID
  // (GuestResolver refuses the rest before any comment exists): an unmanaged domain's UUID may be anything.
  if let domain, domain.identityProblem == nil {
    let comment = ElementComment.of(domain.identity)
    check(comment.utf8.count <= ElementComment.kernelLimit, "element comment over the kernel's limit")
    check(!comment.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }, "unsafe element comment")
    check(!PlanText.escaped(domain.identity.name).utf8.contains { $0 < 0x20 }, "escaped name holds a control")
  }
  return 0
}

private func check(_ condition: Bool, _ message: StaticString) {
  if !condition { fatalError("\(message)") }
}
