#if canImport(Glibc)
  import Glibc
#endif
import CLibvirt
import RoutedCore
import RoutedKernel

/// What one libvirt connection answered when asked for its active domains.
public struct LibvirtConnectionResult: Sendable, Equatable, Encodable {
  public var uri: String
  /// Why it could not be used; nil when it answered.
  public var error: String?
  /// True when the failure says this driver does not exist here (VIR_ERR_NO_CONNECT): then no domain of it can
  /// run, and skipping it loses nothing.
  public var driverAbsent: Bool

  public var opened: Bool { error == nil }
}

/// Every active domain of some libvirt connections.
public struct LibvirtListing: Sendable, Equatable {
  public var domains: [ActiveDomain]
  public var connections: [LibvirtConnectionResult]

  /// True when no running domain can be hidden behind a connection that failed.
  public var isComplete: Bool { connections.allSatisfy { $0.opened || $0.driverAbsent } }
}

/// libvirt's client API, loaded with dlopen when `reconcile` runs: linking it would make every hook call load
/// libvirt.so and its dozens of libraries. Read-only connections: listing domains and their XML is all we need.
public final class LibvirtClient {
  private var api = rh_libvirt()

  /// Loads libvirt.so.0.
  public init() throws(SystemError) {
    guard rh_libvirt_load(&api) == 0 else {
      let reason = rh_libvirt_load_error().map { String(cString: $0) } ?? "unknown error"
      throw SystemError("cannot load libvirt (Debian package libvirt0): \(reason)")
    }
  }

  /// The active domains of each URI, with their live XML parsed; URIs that cannot be opened are reported, not thrown.
  public func activeDomains(uris: [String]) -> LibvirtListing {
    var listing = LibvirtListing(domains: [], connections: [])
    for uri in uris {
      do {
        listing.domains += try activeDomains(uri: uri)
        listing.connections.append(LibvirtConnectionResult(uri: uri, error: nil, driverAbsent: false))
      } catch {
        listing.connections.append(
          LibvirtConnectionResult(
            uri: uri, error: error.message, driverAbsent: error.code == Int32(VIR_ERR_NO_CONNECT.rawValue)))
      }
    }
    return listing
  }

  /// A libvirt failure: its message and virErrorNumber.
  struct Failure: Error {
    var message: String
    var code: Int32
  }

  private func failure(_ what: String) -> Failure {
    let message = api.getLastErrorMessage!().map { String(cString: $0) } ?? "unknown error"
    return Failure(message: "\(what): \(message)", code: rh_libvirt_last_code(&api))
  }

  private func activeDomains(uri: String) throws(Failure) -> [ActiveDomain] {
    guard let connection = api.connectOpenReadOnly!(uri) else { throw failure("cannot open") }
    defer { _ = api.connectClose!(connection) }
    var list: UnsafeMutablePointer<virDomainPtr?>?
    let count = api.connectListAllDomains!(connection, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue)
    guard count >= 0, let list else { throw failure("cannot list domains") }
    defer { free(list) }
    var domains: [ActiveDomain] = []
    for index in 0..<Int(count) {
      guard let domain = list[index] else { continue }
      defer { _ = api.domainFree!(domain) }
      domains.append(describe(domain, uri: uri))
    }
    return domains
  }

  /// One domain: name and UUID always; the XML parsed, or why not (a domain that stopped meanwhile, bad XML).
  private func describe(_ domain: virDomainPtr, uri: String) -> ActiveDomain {
    let name = api.domainGetName!(domain).map { String(cString: $0) } ?? ""
    var buffer = [CChar](repeating: 0, count: 64)
    let uuid =
      api.domainGetUUIDString!(domain, &buffer) == 0
      ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : ""
    let identity = DomainIdentity(name: name, uuid: uuid.lowercased())
    var state: Int32 = 0
    var reason: Int32 = 0
    let isRunning: Bool? =
      api.domainGetState!(domain, &state, &reason, 0) == 0
      ? state == Int32(VIR_DOMAIN_RUNNING.rawValue) : nil
    guard let xml = api.domainGetXMLDesc!(domain, 0) else {
      return ActiveDomain(
        identity: identity, uri: uri, description: nil, problem: failure("cannot read its XML").message)
    }
    defer { free(xml) }
    let bytes = Array(
      UnsafeBufferPointer(
        start: UnsafeRawPointer(xml).assumingMemoryBound(to: UInt8.self), count: strlen(xml)))
    do {
      return ActiveDomain(
        identity: identity, uri: uri, description: try DomainXML.parse(bytes), isRunning: isRunning)
    } catch {
      return ActiveDomain(identity: identity, uri: uri, description: nil, problem: "\(error)")
    }
  }
}
