import CBuildInfo

/// The version and build of this binary (`git describe` when it was built, "dev" for a
/// plain `swift build`): `switchback --version`, `/healthz`, and the SIP `User-Agent`
/// and `Server` headers.
public enum SwitchbackVersion {
    public static let current = String(cString: switchback_build_version())

    /// The product token of RFC 3261 §20.35 and §20.41: `Switchback/<version>`.
    public static var productToken: String { "Switchback/\(current)" }
}
