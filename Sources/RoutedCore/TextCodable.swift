/// A value that is written as its text (`10.136.11.5/24`, `52:54:00:11:00:05`) wherever it is encoded.
public protocol TextCodable: Codable, CustomStringConvertible {
  /// Parses the text form; nil when it is malformed.
  init?(_ text: some StringProtocol)
}

extension TextCodable {
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = Self(text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "not a valid \(Self.self): \(text)"))
    }
    self = value
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
