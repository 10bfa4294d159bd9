import Foundation
import IVR
import Logging
import Media
import NIOCore
import NIOPosix
import SIP
import SIPStack
import XCTest
@testable import Switchboard

/// The one launcher of outbound legs: the INVITE's parameters and our offer as a table,
/// and one launch on a loopback media port (the call is built, not started: no SIP leaves).
final class OutboundLegLauncherTests: XCTestCase {
    private func route(trunk: String, uri: String, number: String, callerID: String? = nil,
                       login: DigestLogin? = nil) throws -> TrunkSelector.Route {
        TrunkSelector.Route(trunk: trunk, dialled: number, number: number, requestURI: try SIPURI(parsing: uri),
                            destination: SIPDestination(transport: .udp, host: "192.0.2.1", port: 5060), login: login,
                            callerID: callerID)
    }

    func testParametersOfEveryKindOfLeg() throws {
        let offer = OutboundLegLauncher.offer(port: 40_000, address: "203.0.113.5", sessionID: 7)
        let login = DigestLogin(username: "u", password: "p")
        struct Row {
            var route: TrunkSelector.Route
            var callerID: String
            var ring: Duration
            var from: String
            var requestURI: String
            var expectedRing: Duration
            var login: DigestLogin?
            var line: UInt
        }
        let rows: [Row] = [
            // A trunk leg with credentials: its Request-URI, our caller ID as From.
            Row(route: try route(trunk: "pstn", uri: "sip:4930777@192.0.2.1", number: "4930777", login: login),
                callerID: "49891234", ring: .seconds(30), from: "sip:49891234@switchback.local",
                requestURI: "sip:4930777@192.0.2.1", expectedRing: .seconds(30), login: login, line: #line),
            // A registered phone: its contact; no caller ID is anonymous.
            Row(route: try route(trunk: ForwardPlan.registeredTrunk, uri: "sip:5001@127.0.0.1:45001", number: "5001"),
                callerID: "", ring: .seconds(20), from: "sip:anonymous@switchback.local",
                requestURI: "sip:5001@127.0.0.1:45001", expectedRing: .seconds(20), login: nil, line: #line),
            // A ring time of 0 still rings for a second.
            Row(route: try route(trunk: "pstn", uri: "sip:4930777@192.0.2.1", number: "4930777"),
                callerID: "1", ring: .zero, from: "sip:1@switchback.local",
                requestURI: "sip:4930777@192.0.2.1", expectedRing: .seconds(1), login: nil, line: #line),
        ]
        for row in rows {
            let parameters = OutboundLegLauncher.parameters(route: row.route, callerID: row.callerID,
                                                            domain: "switchback.local", offer: offer, ringTimeout: row.ring)
            XCTAssertEqual(parameters.from.uri.description, row.from, line: row.line)
            XCTAssertEqual(parameters.requestURI.description, row.requestURI, line: row.line)
            XCTAssertEqual(parameters.destination, row.route.destination, line: row.line)
            XCTAssertEqual(parameters.ringTimeout, row.expectedRing, line: row.line)
            XCTAssertEqual(parameters.login, row.login, line: row.line)
            XCTAssertEqual(parameters.offer, offer, line: row.line)
        }
        let audio = try XCTUnwrap(offer.media.first)
        XCTAssertEqual(audio.port, 40_000, "the offer names the leg's own media port (RFC 3264 §5)")
        XCTAssertEqual(offer.effectiveConnection(of: audio)?.address, "203.0.113.5")
    }

    func testALaunchOpensItsOwnMediaPortAndOffersIt() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let logger = Logger(label: "test")
        let loop = group.next()
        let engine = MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 47_600...47_620, logger: logger)
        let services = CallServices(logger: logger, mediaEngine: engine, mediaLoops: [loop],
                                    prompts: PromptLibrary(root: URL(fileURLWithPath: "/nonexistent")),
                                    promptCatalog: PromptCatalog(available: [:]), mediaAddress: "127.0.0.1",
                                    serviceDesk: UnavailableServiceDesk())
        let endpoint = SIPEndpoint(eventLoop: loop, configuration: SIPEndpointConfiguration(listen: []), logger: logger)
        let launcher = OutboundLegLauncher(endpoint: endpoint, registry: OutboundCallRegistry(), services: services,
                                           domain: "switchback.local")
        let route = try route(trunk: "pstn", uri: "sip:4930777@192.0.2.1", number: "4930777")
        let first = try loop.flatSubmit {
            launcher.launch(route, callerID: "49891234", ringTimeout: .seconds(5), mediaLoop: nil, sessionID: 1)
        }.wait()
        let second = try loop.flatSubmit {
            launcher.launch(route, callerID: "49891234", ringTimeout: .seconds(5), mediaLoop: loop, sessionID: 1)
        }.wait()
        XCTAssertNotEqual(first.media.localPort, second.media.localPort, "each leg has its own media session")
        for leg in [first, second] {
            XCTAssertTrue((47_600...47_620).contains(leg.media.localPort))
            XCTAssertEqual(leg.offer.media.first?.port, leg.media.localPort)
            XCTAssertEqual(leg.call.parameters.offer, leg.offer)
            XCTAssertEqual(leg.call.state, .idle, "built, not started: the caller wires it first")
            try leg.media.close().wait()
        }
    }
}
