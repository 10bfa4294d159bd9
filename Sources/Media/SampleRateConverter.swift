import Foundation

/// Converts mono 16-bit audio from any sample rate to another with a windowed-sinc
/// low-pass interpolator (Blackman window, 16 zero crossings each side, cutoff at 95 %
/// of the lower Nyquist frequency), computed directly per output sample.
///
/// Used once per prompt at load time, so clarity wins over speed: a 48 kHz file costs
/// about 200 multiply-adds per 8 kHz output sample.
public enum SampleRateConverter {
    public static func convert(_ input: [Int16], from inputRate: Int, to outputRate: Int) -> [Int16] {
        precondition(inputRate > 0 && outputRate > 0)
        if inputRate == outputRate || input.isEmpty { return input }
        let ratio = Double(inputRate) / Double(outputRate)
        // Cutoff in cycles per input sample.
        let cutoff = 0.5 * min(1, 1 / ratio) * 0.95
        let zeroCrossings = 16.0
        let halfWidth = zeroCrossings / (2 * cutoff)
        let outputCount = Int((Double(input.count) / ratio).rounded(.down))
        var output = [Int16]()
        output.reserveCapacity(outputCount)
        for n in 0..<outputCount {
            let center = Double(n) * ratio
            let first = max(0, Int((center - halfWidth).rounded(.up)))
            let last = min(input.count - 1, Int((center + halfWidth).rounded(.down)))
            var sum = 0.0
            var weights = 0.0
            if first <= last {
                for i in first...last {
                    let x = Double(i) - center
                    let weight = kernel(x, cutoff: cutoff, halfWidth: halfWidth)
                    sum += weight * Double(input[i])
                    weights += weight
                }
            }
            let value = weights != 0 ? sum / weights : 0
            output.append(Int16(max(-32768, min(32767, value.rounded()))))
        }
        return output
    }

    private static func kernel(_ x: Double, cutoff: Double, halfWidth: Double) -> Double {
        let sinc = x == 0 ? 1 : sin(2 * Double.pi * cutoff * x) / (2 * Double.pi * cutoff * x)
        let phase = Double.pi * x / halfWidth
        let window = 0.42 + 0.5 * cos(phase) + 0.08 * cos(2 * phase)
        return sinc * window
    }
}
