import Foundation
import Logging
import XCTest
@testable import SwitchbackLogging

/// The swift-log backend: levels filter, metadata of the logger and of the line merge,
/// and each line is one write to its descriptor.
final class LogLineHandlerTests: XCTestCase {
    func testLinesGoToTheDescriptorFilteredByLevel() throws {
        var descriptors: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&descriptors), 0)
        defer { close(descriptors[0]) }
        var handler = LogLineHandler(label: "switchback", style: .json, fileDescriptor: descriptors[1])
        handler.logLevel = .info
        var logger = Logger(label: "switchback") { _ in handler }
        logger.logLevel = .info
        logger[metadataKey: "call-id"] = "c1"
        logger.debug("node-entered", metadata: ["node": "start"])
        logger.info("answered", metadata: ["rtp-port": "42000", "call-id": "c2"])
        logger.warning("prompt unavailable", metadata: ["password": "hunter2"])
        close(descriptors[1])
        let text = String(decoding: FileHandle(fileDescriptor: descriptors[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, text)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        XCTAssertEqual(first["message"], "answered")
        XCTAssertEqual(first["call-id"], "c2", "the line's metadata wins over the logger's")
        XCTAssertEqual(first["rtp-port"], "42000")
        XCTAssertEqual(first["level"], "info")
        let second = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String])
        XCTAssertEqual(second["call-id"], "c1")
        XCTAssertEqual(second["password"], LogRedaction.placeholder)
        XCTAssertFalse(text.contains("hunter2"))
    }
}
