import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the client's
/// address, which the admin routes need to tell loopback callers from the rest.
public struct SwitchbackRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
