extension Array where Element == String {
  /// `joined(separator:)` for the hook's hot path: the standard library's version runs unspecialized and
  /// looks up a protocol conformance at run time, a scan of every conformance in the binary.
  public func concatenated(separator: String) -> String {
    var text = ""
    for (index, element) in enumerated() {
      if index > 0 { text += separator }
      text += element
    }
    return text
  }
}
