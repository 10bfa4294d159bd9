import IVR
import Logging

/// One structured log event per call step (DESIGN.md: call received, answered, prompt
/// started and finished, each digit with how it arrived, digits collected, hangup).
struct CallLogger {
    var logger: Logger

    init(base: Logger, callID: String) {
        logger = base
        logger[metadataKey: "call-id"] = "\(callID)"
    }

    func event(_ name: String, _ fields: [String: String] = [:]) {
        logger.info("\(name)", metadata: fields.mapValues { .string($0) })
    }

    func trace(_ trace: IVRTrace) {
        var fields = trace.fields
        fields["step"] = trace.kind
        logger.info("\(trace.kind)", metadata: fields.mapValues { .string($0) })
    }

    func problem(_ name: String, _ fields: [String: String]) {
        logger.warning("\(name)", metadata: fields.mapValues { .string($0) })
    }
}
