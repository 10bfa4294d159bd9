import Foundation
import Switchboard
import XCTest

/// The access-number decision of DESIGN.md's "Access-number modes" table, for every mode
/// × caller (unknown, known caller ID, personal DID, SIP digest) × anumberhandling 0-3 ×
/// free IVR access on/off.
final class CallbackDecisionTests: XCTestCase {
    /// What a row expects, before it is resolved against the caller.
    enum Expect: Equatable {
        case ivr, callBack, drop
    }

    /// The table, one row per mode: unauthenticated caller, authenticated caller. `auto`
    /// calls back authenticated callers only where anumberhandling accepts caller IDs.
    static let table: [(mode: CallbackMode, unauthenticated: Expect, authenticated: Expect, authenticatedWithoutAccept: Expect)] = [
        (.none, .ivr, .ivr, .ivr),
        (.auto, .ivr, .callBack, .ivr),
        (.ivrUnlessAuthenticated, .ivr, .callBack, .callBack),
        (.ivrIfAuthenticated, .callBack, .ivr, .ivr),
        (.dropUnauthenticated, .drop, .callBack, .callBack),
        (.dropAuthenticated, .callBack, .drop, .drop),
        (.always, .callBack, .callBack, .callBack),
        (.alwaysIVR, .ivr, .ivr, .ivr),
        (.script("calling-card"), .ivr, .ivr, .ivr),
    ]

    /// Each identification from a trusted source and from anywhere else (issue 11: only a
    /// trusted source's caller ID and DID count).
    static let callers: [CallerStanding] = [CallerTrust.trustedSource, .untrusted].flatMap { trust in [
        CallerStanding(.unknown, trust: trust),
        CallerStanding(.knownCallerID(account: 7), trust: trust),
        CallerStanding(.personalDID(account: 8), trust: trust),
        CallerStanding(.sipDigest(account: 9), trust: trust),
    ] }

    func testEveryModeCallerAndANumberHandling() {
        var checked = 0
        for row in Self.table {
            for caller in Self.callers {
                for handling in ANumberHandling.allCases {
                    for free in [nil, FreeIVRAccess(account: "guest")] {
                        let decision = CallbackDecision.decide(mode: row.mode, campaign: "ani-callback", caller: caller,
                                                               anumberhandling: handling, freeIVRAccess: free)
                        let authenticated: Bool
                        switch caller.identification {
                        case .unknown: authenticated = false
                        case .knownCallerID:
                            authenticated = (handling == .acceptOnly || handling == .addAndAccept) && caller.trust == .trustedSource
                        case .personalDID: authenticated = caller.trust == .trustedSource
                        case .sipDigest: authenticated = true
                        }
                        var expect = authenticated
                            ? (handling.acceptsKnownCallerIDs ? row.authenticated : row.authenticatedWithoutAccept)
                            : row.unauthenticated
                        // Free IVR access lets the unauthenticated into the IVR instead of dropping them.
                        if expect == .drop, !authenticated, free != nil { expect = .ivr }
                        let context = "\(row.mode) × \(caller.identification) × \(caller.trust) × anumberhandling \(handling.rawValue) × free \(free != nil)"
                        switch expect {
                        case .ivr:
                            let campaign: String
                            if case .script(let id) = row.mode { campaign = id } else { campaign = "ani-callback" }
                            XCTAssertEqual(decision, .runScript(campaign: campaign,
                                                                freeAccessAccount: authenticated ? nil : free?.account), context)
                        case .drop:
                            guard case .drop(let reason) = decision else { return XCTFail("\(context): \(decision)") }
                            XCTAssertFalse(reason.isEmpty, context)
                        case .callBack:
                            let trigger: CallbackTrigger
                            switch caller.identification {
                            case .personalDID(let id) where authenticated: trigger = .did(account: id)
                            case .knownCallerID(let id) where authenticated: trigger = .ani(account: id)
                            case .sipDigest(let id): trigger = .ani(account: id)
                            default: trigger = .pin
                            }
                            XCTAssertEqual(decision, .callBack(trigger), context)
                        }
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 9 * 8 * 4 * 2)
    }

    func testUntrustedCallerIDNeverBillsWithoutPIN() {
        // anumberhandling 0 and 1 do not accept caller IDs: a known caller ID gets a PIN callback.
        for handling in [ANumberHandling.disabled, .addOnly] {
            XCTAssertEqual(CallbackDecision.decide(mode: .always, campaign: "c", caller: CallerStanding(.knownCallerID(account: 1)),
                                                   anumberhandling: handling, freeIVRAccess: nil), .callBack(.pin))
        }
        XCTAssertEqual(CallbackTrigger.pin.account, nil)
        XCTAssertEqual(CallbackTrigger.pin.callTrigger, .sipPIN)
    }

    func testWithheldCallerIDCannotBeCalledBackButADIDCan() {
        let withheld = CallerStanding(.unknown, callerIDPresent: false)
        guard case .drop(let reason) = CallbackDecision.decide(mode: .always, campaign: "c", caller: withheld,
                                                               anumberhandling: .addAndAccept, freeIVRAccess: nil) else {
            return XCTFail("a withheld caller ID has nothing to call back")
        }
        XCTAssertTrue(reason.contains("withheld"), reason)
        let did = CallerStanding(.personalDID(account: 4), callerIDPresent: false, trust: .trustedSource)
        XCTAssertEqual(CallbackDecision.decide(mode: .always, campaign: "c", caller: did, anumberhandling: .disabled,
                                               freeIVRAccess: nil), .callBack(.did(account: 4)))
        XCTAssertEqual(CallbackTrigger.did(account: 4).callTrigger, .sipDID)
    }

    func testModesParseFromNamesCodesAndScriptIDs() {
        for (code, mode) in CallbackMode.namedModes.enumerated() {
            XCTAssertEqual(CallbackMode(parsing: "\(code)"), mode)
            XCTAssertEqual(CallbackMode(parsing: mode.name), mode)
            XCTAssertEqual(mode.code, code)
        }
        XCTAssertEqual(CallbackMode(parsing: "ALWAYS"), .always)
        XCTAssertEqual(CallbackMode(parsing: "8"), .script("8"))
        XCTAssertEqual(CallbackMode(parsing: "calling-card"), .script("calling-card"))
        XCTAssertNil(CallbackMode.script("x").code)
        XCTAssertEqual(CallbackMode.namedModes.map(\.name), [
            "none", "auto", "ivr-unless-authenticated", "ivr-if-authenticated", "drop-unauthenticated",
            "drop-authenticated", "always", "always-ivr",
        ])
    }

    func testANumberHandlingAddsAndAccepts() {
        XCTAssertEqual(ANumberHandling.allCases.map(\.remembersCallerIDs), [false, true, false, true])
        XCTAssertEqual(ANumberHandling.allCases.map(\.acceptsKnownCallerIDs), [false, false, true, true])
    }

    func testCallableCallerIDs() {
        XCTAssertTrue(CallerStanding.isCallable(callerID: "+4930123456"))
        for withheld in ["", "anonymous", "Anonymous", "restricted", "unknown", "alice"] {
            XCTAssertFalse(CallerStanding.isCallable(callerID: withheld), withheld)
        }
    }
}
