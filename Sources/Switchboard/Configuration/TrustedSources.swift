import Foundation

/// The addresses whose calls carry a caller ID worth believing (Mizu's "Traffic Sender
/// AuthIP"): each trunk's and each DID provider's `trusted-sources:`. Nothing else is
/// trusted; the embedded defaults declare none, so out of the box no caller ID
/// authenticates anyone (issue 11).
public struct TrustedSources: Sendable, Equatable {
    public struct Source: Sendable, Equatable {
        /// `trunk <name>` or `did-provider <name>`, for logs.
        public var name: String
        public var networks: [SourceNetwork]

        public init(name: String, networks: [SourceNetwork]) {
            self.name = name
            self.networks = networks
        }
    }

    public var sources: [Source]

    public init(_ sources: [Source] = []) {
        self.sources = sources.filter { !$0.networks.isEmpty }
    }

    public static let none = TrustedSources()

    /// Every trunk's and DID provider's networks.
    public init(configuration: SwitchbackConfiguration) {
        self.init(configuration.trunks.map { Source(name: "trunk \($0.name)", networks: $0.trustedSources) }
            + configuration.didProviders.map { Source(name: "did-provider \($0.name)", networks: $0.trustedSources) })
    }

    public var isEmpty: Bool { sources.isEmpty }

    /// The trusted source `address` belongs to, nil for none.
    public func source(of address: String) -> Source? {
        sources.first { $0.networks.contains { $0.contains(address) } }
    }
}
