import NIOCore

/// Prompts played over and over, one frame per call: what a bridged leg hears while
/// the other leg listens to a prompt alone (hold music, "please hold"). Empty: nothing.
struct LoopingPlayback: Sendable {
    private let prompts: [Prompt]
    private var promptIndex = 0
    private var frameIndex = 0

    init(prompts: [Prompt]) {
        self.prompts = prompts.filter { $0.frameCount > 0 }
    }

    /// Appends the next 160 octets of `law` and returns true, or false when empty.
    mutating func writeFrame(into buffer: inout ByteBuffer, law: G711Law) -> Bool {
        guard !prompts.isEmpty else { return false }
        let start = frameIndex * G711.samplesPerFrame
        prompts[promptIndex].payload(law).withUnsafeBytes { bytes in
            _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + G711.samplesPerFrame)]))
        }
        frameIndex += 1
        if frameIndex == prompts[promptIndex].frameCount {
            frameIndex = 0
            promptIndex = (promptIndex + 1) % prompts.count
        }
        return true
    }
}
