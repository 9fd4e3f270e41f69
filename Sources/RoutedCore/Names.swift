/// Rules for the names routed-hook puts into the kernel.
public enum Names {
  /// Why `name` cannot be a Linux interface name, or nil when it can (at most 15 bytes, no `/`, `:` or space).
  public static func problem(withInterface name: String) -> String? {
    if name.isEmpty { return "an interface name cannot be empty" }
    if name.utf8.count > 15 {
      return "'\(name)' is longer than 15 bytes, the kernel's limit for interface names"
    }
    if name == "." || name == ".." { return "'\(name)' is not a valid interface name" }
    // /proc/sys/net/ipv4/conf/{all,default} are not interfaces: a sysctl there changes every interface.
    if name == "all" || name == "default" {
      return "'\(name)' names every interface in the kernel's sysctls, not one interface"
    }
    // Printable ASCII only: the kernel takes other bytes too, but they end up unquoted in sysctl paths,
    // nft rules and plan output.
    for byte in name.utf8 where byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "/")
      || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    {
      guard byte >= 0x20 && byte < 0x7F else {
        let hex = String(byte, radix: 16)
        return "'\(PlanText.escaped(name))' contains byte 0x\(hex.count == 1 ? "0" : "")\(hex); "
          + "interface names here are printable ASCII"
      }
      return "'\(name)' contains '\(Character(Unicode.Scalar(byte)))', which interface names cannot contain"
    }
    return nil
  }

  /// Why `name` cannot name a guest network or uplink, or nil when it can (it becomes part of nft set names).
  public static func problem(withObjectName name: String) -> String? {
    let allowed = name.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        || byte == UInt8(ascii: "_")
    }
    guard allowed, let first = name.first, first.isLetter, name.utf8.count <= 32 else {
      return "'\(name)' must start with a letter and hold at most 32 letters, digits, '-' or '_'"
    }
    return nil
  }

  /// The name as it appears inside nft identifiers, where `-` is not allowed.
  public static func nftIdentifier(_ name: String) -> String {
    String(name.map { $0 == "-" ? "_" : $0 })
  }
}
