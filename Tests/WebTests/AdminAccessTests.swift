import NIOCore
@testable import Web
import XCTest

/// Without an admin token, only loopback clients reach the admin routes. Checked on the
/// address classification itself: the tests never send traffic beyond loopback.
final class AdminAccessTests: XCTestCase {
    func testLoopbackAddressesAreRecognised() throws {
        for ip in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            XCTAssertTrue(AdminAccessMiddleware<SwitchbackRequestContext>.isLoopback(try SocketAddress(ipAddress: ip, port: 80)), ip)
        }
    }

    func testOtherAddressesAreNot() throws {
        for ip in ["192.0.2.2", "10.0.0.1", "203.0.113.9", "::ffff:192.0.2.1", "2001:db8::1", "128.0.0.1"] {
            XCTAssertFalse(AdminAccessMiddleware<SwitchbackRequestContext>.isLoopback(try SocketAddress(ipAddress: ip, port: 80)), ip)
        }
        XCTAssertFalse(AdminAccessMiddleware<SwitchbackRequestContext>.isLoopback(nil), "no address, no entry")
    }
}
