import IVR
import Media
import NIOCore

/// The `say-balance` in-call key's prompts: "your balance is" and the amount in the
/// call's language. Shared by the two-party forward and the conference, which differ only
/// in where they play them.
enum InCallBalance {
    /// Asks the service desk off the event loop, then hands the answer back on `loop`.
    static func ask(_ balance: @escaping @Sendable (CallContext) async -> ServiceResult, context: CallContext,
                    answerOn loop: any EventLoop, _ answered: @escaping @Sendable (ServiceResult) -> Void) {
        Task {
            let result = await balance(context)
            loop.execute { answered(result) }
        }
    }

    /// The prompts for a `balance` service answer; nil (logged) when the answer is not a
    /// balance or no prompt could be loaded.
    static func prompts(for result: ServiceResult, context: CallContext, services: CallServices,
                        log: CallLogger) -> [Prompt]? {
        guard case let .balance(amount, currency) = result else {
            log.problem("balance unavailable in call", ["answer": "\(result)"])
            return nil
        }
        let language = context["language"]?.text ?? "en"
        let pack = LanguagePacks.pack(for: language) ?? EnglishLanguagePack()
        let prompts = (["your-balance-is"] + pack.money(amount, currency: currency)).compactMap { name -> Prompt? in
            do {
                return try services.prompts.prompt(named: name, language: pack.code)
            } catch {
                log.problem("prompt unavailable", ["prompt": name, "reason": "\(error)"])
                return nil
            }
        }
        return prompts.isEmpty ? nil : prompts
    }
}
