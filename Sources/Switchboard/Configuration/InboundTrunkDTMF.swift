import Media

/// The `dtmf:` of calls arriving from a trunk: an INVITE whose source (the transport's,
/// or the one a trusted edge proxy names) is inside a trunk's `trusted-sources` is that
/// trunk's call, and its A leg hears keys as the trunk's `dtmf:` says. The same
/// addresses already say whose caller ID is believed (`TrustedSources`); a trunk without
/// `trusted-sources` has no inbound calls we could recognise, and every other call is
/// `auto`. The first trunk listing the address wins, as the list is read.
public struct InboundTrunkDTMF: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var networks: [SourceNetwork]
        var mode: DTMFMode
    }

    let entries: [Entry]

    public static let none = InboundTrunkDTMF(trunks: [])

    public init(trunks: [SwitchbackConfiguration.Trunk]) {
        entries = trunks.filter { !$0.trustedSources.isEmpty }.map { Entry(networks: $0.trustedSources, mode: $0.dtmf) }
    }

    public init(configuration: SwitchbackConfiguration) {
        self.init(trunks: configuration.trunks)
    }

    /// The mode for a call from `address`: its trunk's `dtmf:`, `auto` from anywhere else.
    public func mode(for address: String) -> DTMFMode {
        entries.first { $0.networks.contains { $0.contains(address) } }?.mode ?? .auto
    }
}
