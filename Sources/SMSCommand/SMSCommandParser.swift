/// The SMS command language as a pure function of the text: no I/O, no account lookups
/// (whether a sender is registered, or an address-book entry exists, is the desk's to say).
///
/// Words are separated by white space; the letter and dot that open a word are
/// case-insensitive, what follows keeps its case (a password is case-sensitive).
public enum SMSCommandParser {
    /// Longest number accepted (E.164 is 15 digits; room for a trunk prefix).
    public static let maximumNumberLength = 20
    public static let maximumValueLength = 64
    /// `N<k>` slots the address book can have.
    public static let slotRange = 1...999

    public static func parse(_ text: String) -> Result<SMSCommand, SMSCommandError> {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).map(String.init)
        guard !words.isEmpty else {
            return .failure(SMSCommandError(token: "(empty)", position: 0,
                                            problem: "the message is empty; send D.<number> to be called and connected"))
        }
        var login: (String, Int)?
        var password: (String, Int)?
        var origin: (String, Int)?
        var destinations: [SMSCommand.Destination] = []
        var firstDestination: (String, Int)?
        var register: (String, Int, String)?
        var status: (String, Int)?

        for (index, word) in words.enumerated() {
            let position = index + 1
            func fail(_ problem: String) -> Result<SMSCommand, SMSCommandError> {
                .failure(SMSCommandError(token: word, position: position, problem: problem))
            }
            guard let (key, value) = split(word) else {
                return fail("unknown command; use U. P. D. O. R. I. B. or N<k>")
            }
            switch key {
            case "U":
                guard login == nil else { return fail("a second U.; send one login") }
                guard let value = checkedValue(value) else { return fail(valueProblem(value, what: "login", example: "U.alice")) }
                login = (value, position)
            case "P":
                guard password == nil else { return fail("a second P.; send one password") }
                guard let value = checkedValue(value) else {
                    return fail(valueProblem(value, what: "password", example: "P.secret"))
                }
                password = (value, position)
            case "O":
                guard origin == nil else { return fail("a second O.; one number is called first") }
                if let problem = numberProblem(value) { return fail(problem) }
                origin = (value, position)
            case "D":
                if let problem = numberProblem(value) { return fail(problem) }
                destinations.append(.number(value))
                if firstDestination == nil { firstDestination = (word, position) }
            case "B":
                guard let value = checkedValue(value) else {
                    return fail(valueProblem(value, what: "address-book name", example: "B.mum"))
                }
                destinations.append(.addressBookName(value))
                if firstDestination == nil { firstDestination = (word, position) }
            case "N":
                guard !value.isEmpty, value.allSatisfy(\.isASCIIDigit), value.count <= 3, let slot = Int(value),
                      slotRange.contains(slot) else {
                    return fail("N is followed by an address-book slot \(slotRange.lowerBound)-\(slotRange.upperBound), as N2")
                }
                destinations.append(.addressBookSlot(slot))
                if firstDestination == nil { firstDestination = (word, position) }
            case "R":
                guard register == nil else { return fail("a second R.; register one number per message") }
                if let problem = numberProblem(value) { return fail(problem) }
                register = (word, position, value)
            default: // "I"
                guard value.isEmpty else { return fail("I. takes nothing after the dot") }
                guard status == nil else { return fail("a second I.") }
                status = (word, position)
            }
        }

        // One thing per message: the second action word is the one that is wrong.
        var actions: [(String, Int)] = []
        if let firstDestination { actions.append(firstDestination) }
        if let register { actions.append((register.0, register.1)) }
        if let status { actions.append(status) }
        actions.sort { $0.1 < $1.1 }
        if actions.count > 1 {
            return .failure(SMSCommandError(token: actions[1].0, position: actions[1].1,
                                            problem: "cannot go with \(actions[0].0) in one message; send them separately"))
        }

        let credentials: SMSCommand.Credentials?
        switch (login, password) {
        case let (login?, password?): credentials = .init(login: login.0, password: password.0)
        case let (login?, nil):
            return .failure(SMSCommandError(token: words[login.1 - 1], position: login.1,
                                            problem: "a login needs its password: add P.<password>"))
        case let (nil, password?):
            return .failure(SMSCommandError(token: words[password.1 - 1], position: password.1,
                                            problem: "a password needs its login: add U.<login>"))
        case (nil, nil): credentials = nil
        }

        let action: SMSCommand.Action
        if let register {
            action = .register(register.2)
        } else if status != nil {
            action = .status
        } else if !destinations.isEmpty {
            action = .callback(destinations)
        } else {
            let (token, position) = origin.map { (words[$0.1 - 1], $0.1) } ?? (words[0], 1)
            return .failure(SMSCommandError(token: token, position: position,
                                            problem: "says nothing to do; add D.<number>, B.<name>, N<k>, R.<number> or I."))
        }
        return .success(SMSCommand(credentials: credentials, action: action, origin: origin?.0))
    }

    /// The command letter (upper-cased) and what follows it, or nil for a word that is none.
    /// `N` takes its slot without a dot (`N2`; `N.2` is accepted too); `I.` stands alone.
    static func split(_ word: String) -> (String, String)? {
        guard let first = word.first else { return nil }
        let letter = String(first).uppercased()
        let rest = word.dropFirst()
        if letter == "N" {
            let slot = rest.first == "." ? rest.dropFirst() : rest
            return ("N", String(slot))
        }
        guard ["U", "P", "D", "O", "R", "I", "B"].contains(letter), rest.first == "." else { return nil }
        return (letter, String(rest.dropFirst()))
    }

    static func checkedValue(_ value: String) -> String? {
        guard !value.isEmpty, value.count <= maximumValueLength,
              value.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value != 0x7F }) else { return nil }
        return value
    }

    static func valueProblem(_ value: String, what: String, example: String) -> String {
        if value.isEmpty { return "the \(what) is missing after the dot, as \(example)" }
        if value.count > maximumValueLength { return "the \(what) is longer than \(maximumValueLength) characters" }
        return "the \(what) has a control character"
    }

    /// nil when `value` is a phone number: digits, optionally after one `+`.
    static func numberProblem(_ value: String) -> String? {
        let digits = value.first == "+" ? value.dropFirst() : Substring(value)
        if digits.isEmpty { return "the number is missing after the dot, as D.4930123456" }
        guard digits.allSatisfy(\.isASCIIDigit) else { return "a number is digits only (a + may lead), as D.+4930123456" }
        guard digits.count >= 3, digits.count <= maximumNumberLength else {
            return "a number has 3 to \(maximumNumberLength) digits"
        }
        return nil
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
