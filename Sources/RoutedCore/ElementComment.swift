/// The comment on a guest's set elements: how routed-hook tells its elements from anyone else's.
///
/// The kernel keeps 127 bytes of an element comment (libnftnl's userdata limit), so a domain name of 128
/// bytes or more came back cut and no element ever matched its record: `stopped` left them all in place.
/// The comment is therefore the domain name only when it fits and is plain text; otherwise a cut, cleaned
/// name plus the UUID, which is unique, fits, and still reads well in `nft list ruleset` and `status`.
public enum ElementComment {
  /// The most the kernel keeps of a comment.
  public static let kernelLimit = 127

  /// The comment for elements of `domain`. Names that worked before stay exactly as they were.
  public static func of(_ domain: DomainIdentity) -> String {
    let name = domain.name.utf8
    if name.count <= kernelLimit && !name.contains(where: unsafe) { return domain.name }
    // 90 bytes of name, a space and 36 of UUID: 127.
    var kept: [UInt8] = []
    // By scalar, not Character: "\r\n" is one Character of two unsafe bytes (found by scripts/fuzz domain-xml).
    for scalar in domain.name.unicodeScalars {
      let bytes = Array(String(scalar).utf8)
      guard kept.count + bytes.count <= 90 else { break }
      kept += bytes.count == 1 && unsafe(bytes[0]) ? [UInt8(ascii: "_")] : bytes
    }
    return String(decoding: kept, as: UTF8.self) + " " + domain.uuid
  }

  /// What the kernel returns for a comment written as `comment`: its first 127 bytes. Records written by
  /// versions before this one hold whole names, and their elements are found by this form.
  public static func asStored(_ comment: String) -> String {
    let bytes = comment.utf8
    guard bytes.count > kernelLimit else { return comment }
    return String(decoding: bytes.prefix(kernelLimit), as: UTF8.self)
  }

  /// Control characters, `"` and `\` end a quoted nft word or a line of a plan run as a script.
  private static func unsafe(_ byte: UInt8) -> Bool {
    byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
  }
}

extension KernelObject {
  /// The object as the kernel shows it: element comments cut as the kernel cuts them, so records written
  /// with whole long names still explain what is in the kernel.
  public var asStored: KernelObject {
    guard case .element(let set, let key, let comment) = self, comment.utf8.count > ElementComment.kernelLimit
    else { return self }
    return .element(set, key, comment: ElementComment.asStored(comment))
  }
}
