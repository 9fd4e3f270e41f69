import Foundation
@testable import RoutedCore
import Testing

@testable import RoutedKernel

@Suite struct RecordStoreTests {
  let directory = NSTemporaryDirectory() + "rhk-records-\(UUID().uuidString)/state"

  func record(_ uuid: String, _ name: String, address: String) -> DomainRecord {
    DomainRecord(
      domain: DomainIdentity(name: name, uuid: uuid),
      interfaces: [
        ManagedInterface(
          mac: MACAddress("52:54:00:00:00:01")!, address: IPv4Address(address)!, network: "production",
          bridge: "br-ex", uplinks: ["production"])
      ],
      objects: SamplePlan.guest(name, address))
  }

  func cleanUp() {
    _ = try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent)
  }

  @Test func writeLoadAndList() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    #expect(try store.load(uuid: "a") == nil)
    #expect(try store.all() == [])
    let first = record("a", "web01", address: "10.136.11.5")
    let second = record("b", "web02", address: "10.136.11.6")
    try store.write(first)
    try store.write(second)
    #expect(try store.load(uuid: "a") == first)
    #expect(Set(try store.all().map(\.domain.uuid)) == ["a", "b"])
    // Created private, and no temporary file left behind.
    var info = stat()
    #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.json", "b.json"])
  }

  @Test func overwriteReplacesTheWholeRecord() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.write(record("a", "web01", address: "10.136.11.5"))
    let replacement = record("a", "web01", address: "10.136.11.9")
    try store.write(replacement)
    #expect(try store.load(uuid: "a") == replacement)
  }

  @Test func deleteOfAbsentRecordIsFine() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.delete(uuid: "never-written")
    try store.write(record("a", "web01", address: "10.136.11.5"))
    try store.delete(uuid: "a")
    try store.delete(uuid: "a")
    #expect(try store.load(uuid: "a") == nil)
  }

  @Test func aStaleTemporaryFileIsIgnored() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    try store.write(record("a", "web01", address: "10.136.11.5"))
    // What a process killed between write and rename leaves behind.
    #expect(FileManager.default.createFile(atPath: directory + "/.b.json.123.tmp", contents: Data("{".utf8)))
    #expect(try store.all().map(\.domain.uuid) == ["a"])
  }

  @Test func unsafeUUIDsAreRefused() throws {
    defer { cleanUp() }
    let store = RecordStore(directory: directory)
    #expect(throws: SystemError.self) { try store.load(uuid: "../etc/passwd") }
    #expect(throws: SystemError.self) { try store.delete(uuid: "") }
  }
}
