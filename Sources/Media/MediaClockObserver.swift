/// Something that works once per 20 ms frame on a clock's loop, before the sessions
/// write theirs (a conference mixing).
protocol MediaClockObserver: AnyObject {
    func clockWillProduceFrame()
}
