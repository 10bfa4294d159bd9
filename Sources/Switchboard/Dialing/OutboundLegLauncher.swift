import Foundation
import Media
import NIOCore
import SIP
import SIPStack

/// Puts an outbound leg on its way, the same for every leg we place (a dial's B leg, each
/// fork attempt, each conference party, a callback's A leg): opens the leg's own media
/// session (with the route's trunk's `dtmf:` mode), makes our SDP offer for it (RFC 3264 §5) and builds the `OutboundCall` that
/// carries it to the route. The caller wires the call's callbacks and starts it.
struct OutboundLegLauncher: Sendable {
    /// A leg ready to start: the call (not started yet), its media session, our offer.
    struct Leg {
        let call: OutboundCall
        let media: MediaSession
        let offer: SessionDescription
    }

    let endpoint: SIPEndpoint
    let registry: OutboundCallRegistry
    let services: CallServices
    /// Host part of our From URIs (`sip:<caller-id>@<domain>`).
    let domain: String

    /// Opens the media session on `mediaLoop` (the A leg's, so bridging stays on one loop;
    /// nil: the next media loop), then builds the call. Completes on the SIP loop.
    func launch(_ route: TrunkSelector.Route, callerID: String, ringTimeout: Duration, mediaLoop: (any EventLoop)?,
                sessionID: UInt64) -> EventLoopFuture<Leg> {
        let sipLoop = endpoint.eventLoop
        let media = services.mediaEngine.openSession(on: mediaLoop ?? services.nextMediaLoop()).map { session in
            // On the session's loop (where `openSession` completes): the trunk's `dtmf:`
            // holds from the leg's first packet.
            session.dtmfMode = route.dtmf
            return session
        }
        return media.hop(to: sipLoop).map { [self] session in
            let offer = Self.offer(port: session.localPort, address: services.mediaAddress, sessionID: sessionID)
            let parameters = Self.parameters(route: route, callerID: callerID, domain: domain, offer: offer,
                                             ringTimeout: ringTimeout)
            return Leg(call: OutboundCall(endpoint: endpoint, parameters: parameters, registry: registry),
                       media: session, offer: offer)
        }
    }

    // MARK: - Pure parts

    /// Our SDP offer for a media session listening on `port`.
    static func offer(port: Int, address: String, sessionID: UInt64) -> SessionDescription {
        SDPOfferAnswer.offer(localAddress: address, localPort: port, sessionID: sessionID, sessionVersion: 1)
    }

    /// The INVITE of the leg: `sip:<caller-id>@<domain>` as From (anonymous without a
    /// caller ID), the route's Request-URI, destination, Route set and credentials, at least 1 s of ringing.
    static func parameters(route: TrunkSelector.Route, callerID: String, domain: String, offer: SessionDescription,
                           ringTimeout: Duration) -> OutboundCall.Parameters {
        let from = SIPNameAddress(uri: SIPURI(scheme: "sip", user: callerID.isEmpty ? "anonymous" : callerID, host: domain))
        // A phone behind an edge proxy: the INVITE is loose-routed through its Path (RFC
        // 3261 §8.1.2, RFC 3327 §5.4); in-dialog requests then follow the Record-Route.
        return OutboundCall.Parameters(requestURI: route.requestURI, from: from, destination: route.destination,
                                       offer: offer, login: route.login, ringTimeout: max(.seconds(1), ringTimeout),
                                       extraHeaders: route.routeSet.map { SIPHeaderField(name: "Route", value: $0) })
    }
}
