// Fuzz target: the network hook's <hookData> reader.
@testable import RoutedCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHookData(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let hookData = try? NetworkHookData.parse(bytes) else { return 0 }
  if let port = hookData.port {
    if !UUIDText.isValid(port.owner.uuid) { fatalError("a port owner without a valid UUID was accepted") }
    let comment = ElementComment.of(port.owner)
    if comment.utf8.count > ElementComment.kernelLimit { fatalError("element comment over the kernel's limit") }
  }
  return 0
}
