import Foundation

/// Servers configured for the campaigns several interop tests share.
extension ServerProcess {
    /// What the dialer's payer pays (plan `card`): every number its tests dial is rated.
    static let dialerRateDeck = """
        prefix,description,rate,connection fee,first increment,increment
        49,Germany,0.0200,0.0000,1,1
        1,North America,0.0100,0.0000,1,1
        """

    /// A server with campaign `dialer` on access number 200 running fixture script
    /// `scripts/<script>.yaml`; trunk `pstn` (49…) points at `trunkPort`, trunk `elsewhere`
    /// (everything else) at port 9, where nothing listens.
    /// - Parameters:
    ///   - campaignSettings: more of the campaign's settings, e.g. `, caller-id: "49891234"`.
    ///   - bound: callers run the script bound to account alice (10 EUR on plan `card`,
    ///     `dialerRateDeck`) through free IVR access, so its dials to the trunks are rated and
    ///     paid for; false: nobody is bound, and no dial reaches a trunk (issue 11).
    static func dialer(trunkPort: Int, name: String, script scriptName: String = "dial",
                       campaignSettings: String = "", bound: Bool = true) throws -> ServerProcess {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/\(scriptName).yaml").path
        let data = bound ? try OperatorCLI.cardPlanWithAlice(deck: dialerRateDeck, name: "\(name)-data") : nil
        return try ServerProcess(accessNumbersYAML: #"  "200": { campaign: dialer }"#,
                                 campaignsYAML: "  dialer: { script: \(script)\(campaignSettings) }",
                                 extraYAML: """
                                 trunks:
                                   - name: pstn
                                     uri: sip:127.0.0.1:\(trunkPort)
                                     destinations: ["49"]
                                   - name: elsewhere
                                     uri: sip:127.0.0.1:9
                                     destinations: ["*"]
                                 """ + (bound ? "\ncallback: { free-ivr-access: true, free-access-user: alice }" : ""),
                                 name: name, dataDirectory: data)
    }

    /// A server with the shipped calling-card script (`scripts/calling-card.yaml`, no
    /// callback) on `accessNumber`, its data in `data`; trunk `pstn` (49…) points at `trunkPort`.
    static func callingCard(accessNumber: String, trunkPort: Int, data: URL, name: String) throws -> ServerProcess {
        let script = InteropPaths.packageRoot.appendingPathComponent("scripts/calling-card.yaml").path
        return try ServerProcess(accessNumbersYAML: "  \"\(accessNumber)\": { campaign: calling-card, callback: none }",
                                 campaignsYAML: "  calling-card: { script: \(script) }",
                                 extraYAML: """
                                 trunks:
                                   - name: pstn
                                     uri: sip:127.0.0.1:\(trunkPort)
                                     destinations: ["49"]
                                     # Callers (sipp) come from 127.0.0.1, the PSTN's address: their
                                     # caller IDs are trusted for ANI (issue 11).
                                     trusted-sources: [127.0.0.1/32]
                                 """, name: name, dataDirectory: data)
    }

    /// When the server logged `event` (its ISO 8601 `time` field, with fractional seconds).
    /// A callback server: access number 1001 runs campaign ani-callback (`callback: always`),
    /// users' phones (555…) behind trunk `users` at `userPort`, the PSTN (49…) behind trunk
    /// `pstn` at `calleePort` (whose trusted source, 127.0.0.1, makes the triggers' caller
    /// IDs trusted); callbacks present `callerNumber`.
    /// - Parameters:
    ///   - campaignsYAML: the campaigns' lines (ani-callback's at least).
    ///   - callbackYAML: more `callback:` settings, one per line, indented by two spaces.
    static func callbacks(campaignsYAML: String, userPort: Int, calleePort: Int, callerNumber: String,
                          callbackYAML: String, name: String, data: URL?) throws -> ServerProcess {
        try ServerProcess(accessNumbersYAML: #"  "1001": { campaign: ani-callback, callback: always }"#,
                          campaignsYAML: campaignsYAML,
                          extraYAML: """
                          trunks:
                            - name: users
                              uri: sip:127.0.0.1:\(userPort)
                              destinations: ["555"]
                            - name: pstn
                              uri: sip:127.0.0.1:\(calleePort)
                              destinations: ["49"]
                              # Trigger calls come from sipp on 127.0.0.1: the PSTN's address,
                              # so their caller IDs are trusted (issue 11).
                              trusted-sources: [127.0.0.1/32]
                          callback:
                            caller-number: "\(callerNumber)"
                          \(callbackYAML)
                          """, name: name, dataDirectory: data)
    }

    static func time(of event: [String: String]) -> Date? {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return event["time"].flatMap { format.date(from: $0) }
    }
}
