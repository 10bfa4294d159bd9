import XCTest
@testable import SMSCommand

final class SMSCommandParserTests: XCTestCase {
    private typealias C = SMSCommand

    /// Every command, each spelled as a user would, with the command it must be.
    func testEveryCommand() {
        let alice = C.Credentials(login: "alice", password: "S3cret")
        let table: [(String, C)] = [
            ("D.4930123456", C(credentials: nil, action: .callback([.number("4930123456")]))),
            ("d.+4930123456", C(credentials: nil, action: .callback([.number("+4930123456")]))),
            ("U.alice P.S3cret D.555", C(credentials: alice, action: .callback([.number("555")]))),
            ("u.alice p.S3cret d.555", C(credentials: alice, action: .callback([.number("555")]))),
            ("P.S3cret U.alice D.555", C(credentials: alice, action: .callback([.number("555")]))),
            ("U.alice P.S3cret O.111 D.555", C(credentials: alice, action: .callback([.number("555")]), origin: "111")),
            ("o.111 D.555", C(credentials: nil, action: .callback([.number("555")]), origin: "111")),
            ("D.555 D.666 D.777", C(credentials: nil, action: .callback([.number("555"), .number("666"), .number("777")]))),
            ("B.mum", C(credentials: nil, action: .callback([.addressBookName("mum")]))),
            ("b.Mum", C(credentials: nil, action: .callback([.addressBookName("Mum")]))),
            ("N2", C(credentials: nil, action: .callback([.addressBookSlot(2)]))),
            ("n12", C(credentials: nil, action: .callback([.addressBookSlot(12)]))),
            ("N.3", C(credentials: nil, action: .callback([.addressBookSlot(3)]))),
            ("D.555 B.mum N1", C(credentials: nil, action: .callback([.number("555"), .addressBookName("mum"), .addressBookSlot(1)]))),
            ("U.alice P.S3cret R.4930999", C(credentials: alice, action: .register("4930999"))),
            ("r.4930999", C(credentials: nil, action: .register("4930999"))),
            ("I.", C(credentials: nil, action: .status)),
            ("i.", C(credentials: nil, action: .status)),
            ("U.alice P.S3cret I.", C(credentials: alice, action: .status)),
            ("I. O.4930777", C(credentials: nil, action: .status, origin: "4930777")),
            ("  U.alice\tP.S3cret\nD.555  ", C(credentials: alice, action: .callback([.number("555")]))),
        ]
        for (text, expected) in table {
            XCTAssertEqual(SMSCommandParser.parse(text), .success(expected), "text: \(text)")
        }
    }

    /// Wrong texts, the word each error must name, and a fragment of what it says.
    func testErrorsNameTheWrongWord() {
        let table: [(String, String, Int, String)] = [
            ("", "(empty)", 0, "empty"),
            ("   ", "(empty)", 0, "empty"),
            ("hello", "hello", 1, "unknown command"),
            ("D.555 please", "please", 2, "unknown command"),
            ("D.", "D.", 1, "missing"),
            ("D.55a5", "D.55a5", 1, "digits only"),
            ("D.12", "D.12", 1, "3 to 20 digits"),
            ("D.123456789012345678901", "D.123456789012345678901", 1, "3 to 20 digits"),
            ("D.++555", "D.++555", 1, "digits only"),
            ("O.abc D.555", "O.abc", 1, "digits only"),
            ("O.111 O.222 D.555", "O.222", 2, "second O."),
            ("U.alice D.555", "U.alice", 1, "P.<password>"),
            ("P.x D.555", "P.x", 1, "U.<login>"),
            ("U. P.x D.555", "U.", 1, "login is missing"),
            ("U.a P. D.555", "P.", 2, "password is missing"),
            ("U.a U.b P.x D.555", "U.b", 2, "second U."),
            ("U.a P.x P.y D.555", "P.y", 3, "second P."),
            ("U.a P.x", "U.a", 1, "nothing to do"),
            ("O.555", "O.555", 1, "nothing to do"),
            ("R.555 D.666", "D.666", 2, "cannot go with R.555"),
            ("D.666 I.", "I.", 2, "cannot go with D.666"),
            ("I. R.555", "R.555", 2, "cannot go with I."),
            ("R.555 R.666", "R.666", 2, "second R."),
            ("R.", "R.", 1, "missing"),
            ("I.x", "I.x", 1, "nothing after the dot"),
            ("I. I.", "I.", 2, "second I."),
            ("N0", "N0", 1, "slot"),
            ("N1000", "N1000", 1, "slot"),
            ("N", "N", 1, "slot"),
            ("Nx", "Nx", 1, "slot"),
            ("B.", "B.", 1, "name is missing"),
            ("B.\(String(repeating: "x", count: 65))", "B.\(String(repeating: "x", count: 65))", 1, "longer than"),
            ("X.555", "X.555", 1, "unknown command"),
            ("D555", "D555", 1, "unknown command"),
            ("U.a\u{7}b P.x D.555", "U.a\u{7}b", 1, "control character"),
        ]
        for (text, token, position, fragment) in table {
            guard case .failure(let error) = SMSCommandParser.parse(text) else {
                XCTFail("'\(text)' parsed, but it is wrong")
                continue
            }
            XCTAssertEqual(error.token, token, "text: \(text)")
            XCTAssertEqual(error.position, position, "text: \(text)")
            XCTAssertTrue(error.problem.contains(fragment), "'\(text)': '\(error.problem)' lacks '\(fragment)'")
        }
    }

    /// Hundreds of garbled texts, mutated from valid ones and made of random words: the
    /// parser never crashes, and every error names a word that is in the text.
    func testFuzzedTextsNeverCrashAndErrorsNameAWordOfTheText() {
        var generator = SplitMix64(seed: 0x5E5_C0DE)
        let valid = ["U.alice P.S3cret D.4930123456", "D.555 D.666", "R.4930999", "I. O.4930777", "B.mum", "N2",
                     "U.bob P.pw O.111 D.222 B.x N9"]
        let alphabet = Array("UPDORIBNupdoribn.+0123456789 \t\nxyzé€\u{0}\u{7}.-_/")
        var texts: [String] = []
        for _ in 0..<300 {
            var characters = Array(valid[Int(generator.next() % UInt64(valid.count))])
            for _ in 0...Int(generator.next() % 4) {
                let at = characters.isEmpty ? 0 : Int(generator.next() % UInt64(characters.count + 1))
                switch generator.next() % 3 {
                case 0: characters.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: at)
                case 1: if at < characters.count { characters.remove(at: at) }
                default: if at < characters.count { characters[at] = alphabet[Int(generator.next() % UInt64(alphabet.count))] }
                }
            }
            texts.append(String(characters))
        }
        for _ in 0..<200 {
            let length = Int(generator.next() % 40)
            texts.append(String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
        }
        var failures = 0
        for text in texts {
            switch SMSCommandParser.parse(text) {
            case .success(let command):
                // A success is a whole command: something to do, credentials in pairs.
                if case .callback(let destinations) = command.action { XCTAssertFalse(destinations.isEmpty, text) }
            case .failure(let error):
                failures += 1
                XCTAssertFalse(error.problem.isEmpty, text)
                if error.position == 0 {
                    XCTAssertEqual(error.token, "(empty)", text)
                } else {
                    let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).map(String.init)
                    XCTAssertEqual(words[error.position - 1], error.token, "text: \(text.debugDescription)")
                }
            }
        }
        XCTAssertEqual(texts.count, 500)
        XCTAssertGreaterThan(failures, 250, "the fuzzed texts should be mostly wrong")
    }
}

/// A seeded generator, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
