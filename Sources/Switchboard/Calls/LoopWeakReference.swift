/// A weak reference to an object confined to one event loop, that may cross to another
/// thread (a `Task`, a media loop): callbacks must not keep an ended call alive, and they
/// only ever dereference it back on the object's own loop.
struct LoopWeakReference<Object: AnyObject>: @unchecked Sendable {
    weak var value: Object?
    init(_ value: Object) { self.value = value }
}
