import Dispatch
import Foundation
import Switchboard

/// SIGHUP: reload the configuration and scripts through the same `ConfigurationReloader`
/// as `POST /admin/reload`; on any error the running ones stay (the reloader logs why).
final class ReloadOnHangup: @unchecked Sendable {
    private let reloader: ConfigurationReloader
    private var source: (any DispatchSourceSignal)?

    init(reloader: ConfigurationReloader) {
        self.reloader = reloader
    }

    func install() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [reloader] in
            Task { _ = await reloader.reload(trigger: "SIGHUP") }
        }
        source.resume()
        self.source = source
    }
}
