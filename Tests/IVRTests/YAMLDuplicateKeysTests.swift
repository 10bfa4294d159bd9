@testable import IVR
import XCTest
import Yams

/// Duplicated keys are reported the same way on every read of the same text, with the
/// names sorted and a place only where the place is certain.
final class YAMLDuplicateKeysTests: XCTestCase {
    private func duplicates(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> YAMLDuplicateKeys? {
        do {
            _ = try PlainYAML.compose(text)
            XCTFail("\(text.debugDescription) composed without an error", file: file, line: line)
            return nil
        } catch let error as YamlError {
            return YAMLDuplicateKeys(error)
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testTable() {
        // text, names, has a collection key, line, column, message
        let rows: [(String, [String], Bool, Int?, Int?, String)] = [
            ("a: 1\nb: 2\na: 3\n", ["a"], false, 1, 1, "duplicate key 'a' in a mapping"),
            ("x:\n  b: 1\n  a: 2\n  b: 3\n  a: 4\n", ["a", "b"], false, 3, 3, "duplicate key 'a', 'b' in a mapping"),
            // `1` and `"1"` are one key as the loaders read them: no implicit tags.
            ("top: 0\n1: a\n\"1\": b\n1: c\n\"1\": d\n", ["1"], false, 2, 1, "duplicate key '1' in a mapping"),
            // One name, two explicit tags (an integer and a string): Yams' place was a coin toss.
            ("top: 0\n!!int 1: a\n\"1\": b\n!!int 1: c\n\"1\": d\n", ["1", "1"], false, nil, nil,
             "duplicate key '1', '1' in a mapping"),
            ("? [a]\n: 1\n? [a]\n: 2\n", [], true, 1, 1, "a mapping or a list is used as a key (keys are plain names)"),
            ("m:\n  # a comment\n  ? {x: 1}\n  : 1\n  ? {x: 1}\n  : 2\n", [], true, 3, 3,
             "a mapping or a list is used as a key (keys are plain names)"),
        ]
        for (text, names, collection, line, column, message) in rows {
            guard let found = duplicates(text) else { XCTFail("\(text.debugDescription): not a duplicate-key error"); continue }
            XCTAssertEqual(found.names, names, text.debugDescription)
            XCTAssertEqual(found.hasCollectionKey, collection, text.debugDescription)
            XCTAssertEqual(found.line, line, text.debugDescription)
            XCTAssertEqual(found.column, column, text.debugDescription)
            XCTAssertEqual(found.message, message, text.debugDescription)
        }
    }

    /// Fuzz/Crashes/ConfigLoaderFuzz/crash-c97662dc8e70d40a5429eb835ef2e4c94afaac3d: mapping
    /// keys and a name duplicated together; Yams named line 2 on one read and line 3 on the
    /// next. Read many times (each read seeds its dictionaries anew), it is told one way.
    func testTheFuzzFindingIsToldOneWay() {
        let odd = String(repeating: "\u{FFFD}", count: 5)  // the input's 0xA8 bytes, decoded as the loaders decode them
        let text = "campaigls:ls:\n?  dls:\n?  dero: { \(odd) }\nero: { \(odd) }\n?  dls:\n?  dero: { \(odd) }\nero: { \(odd) }\n"
        var told = Set<String>()
        for _ in 0..<50 {
            guard let found = duplicates(text) else { return }
            told.insert("\(found.line.map(String.init) ?? "-"):\(found.column.map(String.init) ?? "-") \(found.message)")
        }
        XCTAssertEqual(told, ["2:1 a mapping or a list is used as a key (keys are plain names); duplicate key 'ero' in a mapping"])
    }

    func testExplicitKeyScanCountsLinesAsYAMLDoes() {
        XCTAssertEqual(YAMLDuplicateKeys.firstExplicitKey(in: "a: 1\r\nb: 2\r? c\n").map { [$0.line, $0.column] }, [3, 1])
        XCTAssertEqual(YAMLDuplicateKeys.firstExplicitKey(in: "a: ?x\n  ?\n").map { [$0.line, $0.column] }, [2, 3])
        XCTAssertNil(YAMLDuplicateKeys.firstExplicitKey(in: "a: 1\n?b: 2\n"))
    }
}
