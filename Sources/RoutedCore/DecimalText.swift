/// Whole numbers as people write them in a config: ASCII digits only, no sign, no leading zero (`0227` is not
/// 227 to everyone: some tools read it as octal), at most 9 digits. `Int(_:)` accepts `+24` and `024`.
enum DecimalText {
  static func parse(_ text: some StringProtocol) -> Int? {
    let digits = text.utf8
    guard let first = digits.first, digits.count <= 9, first != UInt8(ascii: "0") || digits.count == 1 else {
      return nil
    }
    var value = 0
    for byte in digits {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
  }
}
