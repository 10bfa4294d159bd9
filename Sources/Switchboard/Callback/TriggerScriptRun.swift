import Foundation
import IVR

/// The first nodes of a campaign's script, run on a trigger call that is never answered
/// (an access number whose mode calls back): what its `callback` verb asks for is what is
/// queued, so the script decides the delay, the caller ID and where the callback leg
/// starts — as `switchback simulate` shows it — and not a second copy of those settings.
///
/// Without media nothing can be played or collected, so the run stops at the first node
/// that needs the caller (a prompt, a timer, a hang-up) or that would write something
/// (`remember-caller`, `dial`): such a script has no trigger nodes, and its callback leg
/// runs it from its start. Read-only services (`authenticate` by DID or caller ID, a
/// balance) are answered, so `did-callback.yaml` can name `${account.forward}`.
/// Pure but for `answer`.
public enum TriggerScriptRun {
    /// At most this many service answers: trigger nodes are a handful, never a loop.
    static let maximumRequests = 8

    public static func callbackVerb(
        of script: IVRScript, library: ScriptLibrary, context: CallContext,
        answer: (ServiceRequest, CallContext) async -> ServiceResult
    ) async -> IVR.CallbackRequest? {
        var interpreter = Interpreter(script: script, context: context, library: library)
        var pending = interpreter.start()
        var answered = 0
        while answered < maximumRequests {
            guard let (id, request) = firstRequest(in: pending) else { return nil }
            switch request {
            case .scheduleCallback(let verb):
                return verb
            case .authenticate, .balance, .creditCheck:
                answered += 1
                let result = await answer(request, interpreter.context)
                pending = interpreter.handle(.serviceResult(id, result))
            case .dial, .rememberCaller:
                return nil
            }
        }
        return nil
    }

    /// The service request the interpreter waits for, or nil when it waits for something
    /// only a caller can give (or ended).
    static func firstRequest(in actions: [IVRAction]) -> (ServiceRequestID, ServiceRequest)? {
        for action in actions {
            switch action {
            case .request(let id, let request): return (id, request)
            case .trace: continue
            case .play, .stopPlayback, .startTimer, .cancelTimer, .hangup: return nil
            }
        }
        return nil
    }
}
