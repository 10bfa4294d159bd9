import Foundation

/// What a node does (`do:`), with the verb's options. One case per verb of DESIGN.md.
public enum Verb: Sendable {
    case play(PlayVerb)
    case say(SayVerb)
    case collect(CollectVerb)
    case menu(MenuVerb)
    case hangup(HangupVerb)
    case set(SetVerb)
    case goto(GotoVerb)
    case branch(BranchVerb)
    case authenticate(AuthenticateVerb)
    case creditCheck(CreditCheckVerb)
    case balance(BalanceVerb)
    case dial(DialVerb)
    case callback(CallbackVerb)
    case rememberCaller(RememberCallerVerb)

    /// The verb's name as written after `do:`.
    public var name: String {
        switch self {
        case .play: return "play"
        case .say: return "say"
        case .collect: return "collect"
        case .menu: return "menu"
        case .hangup: return "hangup"
        case .set: return "set"
        case .goto: return "goto"
        case .branch: return "branch"
        case .authenticate: return "authenticate"
        case .creditCheck: return "credit-check"
        case .balance: return "balance"
        case .dial: return "dial"
        case .callback: return "callback"
        case .rememberCaller: return "remember-caller"
        }
    }

    /// Whether running this verb always waits for the caller (a prompt, digits, a call)
    /// before moving on. A cycle of nodes none of which waits could spin forever: the
    /// services may answer at once, so waiting for them does not count.
    public var waitsForCaller: Bool {
        switch self {
        case .play(let verb): return !verb.prompts.isEmpty
        case .say(let verb): return verb.items.contains { if case .prompt = $0 { return true } else { return false } }
        case .collect, .menu, .hangup, .dial: return true
        case .balance(let verb): return verb.say
        case .authenticate(let verb): return verb.methods.contains { $0.value == .pin || $0.value == .password }
        case .set, .goto, .branch, .creditCheck, .callback, .rememberCaller: return false
        }
    }
}
