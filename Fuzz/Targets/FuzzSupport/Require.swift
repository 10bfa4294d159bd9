/// `precondition` that keeps its message in -O builds (the fuzz targets are release
/// builds, where `precondition` prints no message): a broken invariant says what broke.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
