import CSndfile
import Foundation

/// Loads prompts from `<root>/<language>/<name>.<ext>` with libsndfile, once, and keeps
/// them in memory ready to play.
///
/// Any format libsndfile reads is accepted; the extensions are tried in the order of
/// `extensions` (WAV first). The audio is downmixed to mono (mean of the channels)
/// and resampled to 8 kHz with `SampleRateConverter` (windowed sinc) when the file has
/// another rate; rates under 4 kHz are refused. Thread-safe: the cache is guarded by a
/// lock, held only to look up and insert, never while a file is decoded (two threads
/// asking for the same new prompt may both decode it; the first insert wins).
public final class PromptLibrary: @unchecked Sendable {
    public static let extensions = ["wav", "flac", "ogg", "opus", "au", "snd", "aiff", "aif", "caf", "w64", "mp3"]
    /// Prompts longer than this are refused (they would all sit in memory).
    public static let maximumSeconds = 600

    public let root: URL
    private let lock = NSLock()
    private var cache: [String: Prompt] = [:]

    public init(root: URL) {
        self.root = root
    }

    /// The prompt, from the cache or loaded now.
    public func prompt(named name: String, language: String) throws(PromptError) -> Prompt {
        let key = language + "/" + name
        if let cached = lock.withLock({ cache[key] }) { return cached }
        let directory = root.appendingPathComponent(language, isDirectory: true)
        guard !name.isEmpty, !name.contains("/"), name != "..", name != ".",
              !language.isEmpty, !language.contains("/"), language != ".." else {
            throw PromptError(path: directory.appendingPathComponent(name).path, reason: .invalidName)
        }
        let candidates = PromptLibrary.extensions.map {
            directory.appendingPathComponent(name).appendingPathExtension($0).path
        }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw PromptError(path: directory.appendingPathComponent(name).path, reason: .missing(tried: candidates))
        }
        let samples = try PromptLibrary.readMono8kHz(path: path)
        let prompt = Prompt(name: name, language: language, samples: samples)
        return lock.withLock {
            if let existing = cache[key] { return existing }
            cache[key] = prompt
            return prompt
        }
    }

    /// Whether the prompt is already loaded.
    public func isCached(named name: String, language: String) -> Bool {
        lock.withLock { cache[language + "/" + name] != nil }
    }

    /// Drops every cached prompt (after the admin replaced files on disk).
    public func removeAll() {
        lock.withLock { cache.removeAll() }
    }

    /// Reads a sound file as 8 kHz mono 16-bit samples.
    public static func readMono8kHz(path: String) throws(PromptError) -> [Int16] {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw PromptError(path: path, reason: .unreadable(String(cString: sf_strerror(nil))))
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        let rate = Int(info.samplerate)
        guard channels > 0 else { throw PromptError(path: path, reason: .unreadable("no channels")) }
        guard rate >= 4000 else { throw PromptError(path: path, reason: .unsupportedSampleRate(rate)) }
        let limitFrames = maximumSeconds * rate
        if info.frames > Int64(limitFrames) {
            throw PromptError(path: path, reason: .tooLong(seconds: Int(info.frames) / rate, limit: maximumSeconds))
        }
        // Read in chunks until the end rather than trusting the header's frame count.
        var interleaved: [Int16] = []
        interleaved.reserveCapacity(max(0, Int(info.frames)) * channels)
        let chunkFrames = 4096
        var chunk = [Int16](repeating: 0, count: chunkFrames * channels)
        while true {
            let read = chunk.withUnsafeMutableBufferPointer { buffer in
                sf_readf_short(file, buffer.baseAddress, sf_count_t(chunkFrames))
            }
            if read <= 0 { break }
            interleaved.append(contentsOf: chunk[0..<(Int(read) * channels)])
            if interleaved.count > limitFrames * channels {
                throw PromptError(path: path, reason: .tooLong(seconds: interleaved.count / channels / rate,
                                                                limit: maximumSeconds))
            }
        }
        if sf_error(file) != 0 {
            throw PromptError(path: path, reason: .unreadable(String(cString: sf_strerror(file))))
        }
        guard !interleaved.isEmpty else { throw PromptError(path: path, reason: .empty) }
        var mono: [Int16]
        if channels == 1 {
            mono = interleaved
        } else {
            let frames = interleaved.count / channels
            mono = [Int16](repeating: 0, count: frames)
            for frame in 0..<frames {
                var sum = 0
                for channel in 0..<channels { sum += Int(interleaved[frame * channels + channel]) }
                mono[frame] = Int16(sum / channels)
            }
        }
        if rate != 8000 {
            mono = SampleRateConverter.convert(mono, from: rate, to: 8000)
        }
        return mono
    }
}
