import IVR
import Media

/// Plays the interpreter's prompts on a leg: resolves each `PromptRef` to audio (a file
/// that cannot be read is logged and skipped, so the script moves on rather than hangs)
/// and remembers which playback is current, so a late "finished" of a replaced one is
/// ignored.
final class PromptPlayer {
    private let load: (PromptRef) throws -> Prompt
    private let log: CallLogger
    private var current: PlaybackID?

    init(load: @escaping (PromptRef) throws -> Prompt, log: CallLogger) {
        self.load = load
        self.log = log
    }

    func play(_ id: PlaybackID, _ refs: [PromptRef], on leg: any CallLegProtocol) {
        var prompts: [Prompt] = []
        for ref in refs {
            do {
                prompts.append(try load(ref))
            } catch {
                log.problem("prompt unavailable", ["prompt": ref.description, "reason": "\(error)"])
            }
        }
        current = id
        log.event("prompt started", ["playback": "\(id.rawValue)", "prompts": refs.map(\.description).joined(separator: " ")])
        // Nothing playable still goes to the leg: an empty playlist finishes at once.
        leg.play(prompts, token: UInt64(id.rawValue))
    }

    func stop(on leg: any CallLegProtocol) {
        current = nil
        leg.stopPlayback()
    }

    /// The playback a media "finished" belongs to, if it is the current one.
    func finished(_ token: UInt64) -> PlaybackID? {
        guard let id = current, UInt64(id.rawValue) == token else { return nil }
        current = nil
        log.event("prompt finished", ["playback": "\(token)"])
        return id
    }
}
