/// `ADDRESS/n`, as both families write an address with its prefix length (`10.136.11.254/24`,
/// `fd00:10::136:11:fffe/112`): one slash, the address as `address` reads it, n in 0...`maxLength` as
/// `DecimalText` reads it (so no sign and no leading zero). Split at the first slash without building an array:
/// a config may hold thousands of these.
enum PrefixedAddressText {
  static func parse<Text: StringProtocol, Address>(
    _ text: Text, maxLength: Int, address: (Text.SubSequence) -> Address?
  ) -> (Address, Int)? {
    guard let slash = text.firstIndex(of: "/"), let parsed = address(text[..<slash]),
      let length = DecimalText.parse(text[text.index(after: slash)...]), length <= maxLength
    else { return nil }
    return (parsed, length)
  }
}
