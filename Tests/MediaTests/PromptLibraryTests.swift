import CSndfile
import Foundation
import XCTest
@testable import Media

final class PromptLibraryTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("switchback-prompts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("en"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// Writes interleaved 16-bit samples with libsndfile.
    static func writeSoundFile(_ path: String, samples: [Int16], rate: Int, channels: Int,
                               format: Int32 = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)) throws {
        var info = SF_INFO()
        info.samplerate = Int32(rate)
        info.channels = Int32(channels)
        info.format = format
        guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw NSError(domain: "sndfile", code: 1, userInfo: [NSLocalizedDescriptionKey: String(cString: sf_strerror(nil))])
        }
        let written = samples.withUnsafeBufferPointer { sf_writef_short(file, $0.baseAddress, sf_count_t(samples.count / channels)) }
        sf_close(file)
        XCTAssertEqual(Int(written), samples.count / channels)
    }

    func testLoads8kHzMonoWAVIntoFramesOfBothLaws() throws {
        let samples = ToneSynthesis.sine(440, milliseconds: 1010, amplitude: 10000)  // 8080 samples
        try Self.writeSoundFile(root.appendingPathComponent("en/welcome.wav").path, samples: samples, rate: 8000, channels: 1)
        let library = PromptLibrary(root: root)
        let prompt = try library.prompt(named: "welcome", language: "en")
        XCTAssertEqual(prompt.name, "welcome")
        XCTAssertEqual(prompt.language, "en")
        XCTAssertEqual(prompt.sampleCount, 8080)
        XCTAssertEqual(prompt.durationMilliseconds, 1010)
        XCTAssertEqual(prompt.frameCount, 51, "the last 80 samples fill a 51st frame")
        for law in G711Law.allCases {
            let frames = prompt.frames(law)
            XCTAssertEqual(frames.count, 51)
            XCTAssertTrue(frames.allSatisfy { $0.count == 160 })
            XCTAssertEqual(Array(frames[0]), G711.encode(samples[0..<160], law))
            XCTAssertEqual(Array(frames[50][80...]), [UInt8](repeating: law.silenceByte, count: 80), "padded with silence")
            XCTAssertEqual(prompt.payload(law).count, 51 * 160)
        }
        XCTAssertTrue(library.isCached(named: "welcome", language: "en"))
        // Cached: deleting the file does not matter any more.
        try FileManager.default.removeItem(at: root.appendingPathComponent("en/welcome.wav"))
        XCTAssertEqual(try library.prompt(named: "welcome", language: "en"), prompt)
    }

    func testDownmixesAndResamples16kHzStereo() throws {
        // Left: 500 Hz, right: silence → mono at half amplitude, resampled to 8 kHz.
        let left = ToneSynthesis.sine(500, milliseconds: 500, amplitude: 16000)
        var interleaved: [Int16] = []
        for index in 0..<(left.count * 2) {  // 16 kHz: generate at twice the rate
            let value = Int16((16000 * sin(2 * Double.pi * 500 * Double(index) / 16000)).rounded())
            interleaved += [value, 0]
        }
        try Self.writeSoundFile(root.appendingPathComponent("en/stereo.wav").path, samples: interleaved, rate: 16000, channels: 2)
        let prompt = try PromptLibrary(root: root).prompt(named: "stereo", language: "en")
        XCTAssertEqual(prompt.sampleCount, 4000, "0.5 s at 8 kHz")
        let decoded = G711.decode(prompt.payload(.ulaw), .ulaw)
        let middle = decoded[1000..<3000]
        let peak = middle.map { abs(Int($0)) }.max() ?? 0
        XCTAssertEqual(Double(peak), 8000, accuracy: 400, "mean of the channels")
        // Still a 500 Hz tone: compare with an ideal 8 kHz rendering, allowing for G.711.
        let ideal = (1000..<3000).map { 8000 * sin(2 * Double.pi * 500 * Double($0) / 8000) }
        let errorPower = zip(middle, ideal).map { (Double($0) - $1) * (Double($0) - $1) }.reduce(0, +) / 2000
        XCTAssertLessThan(errorPower.squareRoot(), 300)
    }

    func testResamplerRejectsContentAboveTheNewNyquistFrequency() {
        // 6 kHz at 16 kHz cannot exist at 8 kHz; the low-pass must remove it, not alias it to 2 kHz.
        let input = (0..<16000).map { Int16((10000 * sin(2 * Double.pi * 6000 * Double($0) / 16000)).rounded()) }
        let output = SampleRateConverter.convert(input, from: 16000, to: 8000)
        XCTAssertEqual(output.count, 8000)
        let rms = (output[200..<7800].map { Double($0) * Double($0) }.reduce(0, +) / 7600).squareRoot()
        XCTAssertLessThan(rms, 100)
    }

    func testOtherExtensionsAreFoundAfterWAV() throws {
        let samples = ToneSynthesis.sine(300, milliseconds: 100, amplitude: 5000)
        try Self.writeSoundFile(root.appendingPathComponent("en/beep.au").path, samples: samples, rate: 8000, channels: 1,
                                format: Int32(SF_FORMAT_AU | SF_FORMAT_PCM_16))
        let prompt = try PromptLibrary(root: root).prompt(named: "beep", language: "en")
        XCTAssertEqual(prompt.sampleCount, 800)
    }

    func testMissingFileNamesThePathsTried() {
        let library = PromptLibrary(root: root)
        XCTAssertThrowsError(try library.prompt(named: "nothing-here", language: "en")) { error in
            guard let error = error as? PromptError, case .missing(let tried) = error.reason else {
                return XCTFail("expected .missing, got \(error)")
            }
            XCTAssertTrue(error.path.hasSuffix("en/nothing-here"))
            XCTAssertEqual(tried.first, self.root.appendingPathComponent("en/nothing-here.wav").path)
            XCTAssertTrue(error.description.contains("not found"))
        }
        XCTAssertThrowsError(try library.prompt(named: "welcome", language: "fr"))
    }

    func testTextFileNamedWAVIsUnreadableWithLibsndfilesReason() throws {
        let path = root.appendingPathComponent("en/fake.wav").path
        try "this is not audio\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PromptLibrary(root: root).prompt(named: "fake", language: "en")) { error in
            guard let error = error as? PromptError, case .unreadable(let message) = error.reason else {
                return XCTFail("expected .unreadable, got \(error)")
            }
            XCTAssertEqual(error.path, path)
            XCTAssertFalse(message.isEmpty)
            XCTAssertTrue(error.description.contains(path))
        }
    }

    func testNamesThatLeaveTheDirectoryAreRefused() {
        let library = PromptLibrary(root: root)
        for name in ["../secret", "a/b", "..", ""] {
            XCTAssertThrowsError(try library.prompt(named: name, language: "en")) { error in
                XCTAssertEqual((error as? PromptError)?.reason, .invalidName, name)
            }
        }
        XCTAssertThrowsError(try library.prompt(named: "x", language: "../en")) { error in
            XCTAssertEqual((error as? PromptError)?.reason, .invalidName)
        }
    }

    func testConcurrentLoadsShareOneCache() throws {
        try Self.writeSoundFile(root.appendingPathComponent("en/shared.wav").path,
                                samples: ToneSynthesis.sine(440, milliseconds: 200, amplitude: 3000), rate: 8000, channels: 1)
        let library = PromptLibrary(root: root)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            XCTAssertEqual((try? library.prompt(named: "shared", language: "en"))?.frameCount, 10)
        }
        XCTAssertTrue(library.isCached(named: "shared", language: "en"))
        library.removeAll()
        XCTAssertFalse(library.isCached(named: "shared", language: "en"))
    }

    func testPromptFromSamples() {
        let prompt = Prompt(name: "tone", language: "xx", samples: [Int16](repeating: 1000, count: 320))
        XCTAssertEqual(prompt.frameCount, 2)
        XCTAssertEqual(prompt.durationMilliseconds, 40)
        XCTAssertEqual(prompt.frame(1, .alaw), ArraySlice([UInt8](repeating: G711.encode(1000, .alaw), count: 160)))
        XCTAssertEqual(Prompt(name: "empty", language: "xx", samples: []).frameCount, 0)
    }
}
