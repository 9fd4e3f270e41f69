/// A mapping's fields by name, noted in `lines` with the mapping itself; `required` names the one missing.
struct MappingFields {
  let mapping: YAMLField
  let byName: [String: YAMLField]

  init(_ mapping: YAMLField, allowed: Set<String>, lines: inout SourceLines) throws {
    self.mapping = mapping
    byName = try mapping.mapping(allowed: allowed)
    lines.note([mapping] + byName.values)
  }

  subscript(_ key: String) -> YAMLField? { byName[key] }

  func required(_ key: String) throws -> YAMLField {
    guard let value = byName[key] else { throw mapping.error("\(key) is required") }
    return value
  }
}
