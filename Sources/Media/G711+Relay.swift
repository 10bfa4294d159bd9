import NIOCore

/// The allocation-free forms the relay and the mixer use on every frame.
extension G711 {
    /// Appends `bytes` (code words of `source`) to `buffer` as code words of `target`:
    /// a plain copy when the laws agree (pass-through, bit exact), else one lookup per
    /// octet in the 256-entry transcoding table (G.711 defines no direct A↔µ mapping;
    /// the table is decode-then-encode, computed once).
    public static func write(_ bytes: UnsafeRawBufferPointer, from source: G711Law, to target: G711Law,
                             into buffer: inout ByteBuffer) {
        if source == target {
            buffer.writeBytes(bytes)
            return
        }
        let table = source == .alaw ? Tables.alawToUlaw : Tables.ulawToAlaw
        table.withUnsafeBufferPointer { table in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count) { out in
                for index in 0..<bytes.count {
                    out[index] = table[Int(bytes[index])]
                }
                return bytes.count
            }
        }
    }

    /// Decodes `bytes` into `out` (at least as long), one lookup per octet.
    public static func decode(_ bytes: UnsafeRawBufferPointer, _ law: G711Law, into out: UnsafeMutableBufferPointer<Int16>) {
        precondition(out.count >= bytes.count, "decode target too short")
        let table = law == .ulaw ? Tables.ulawDecode : Tables.alawDecode
        table.withUnsafeBufferPointer { table in
            for index in 0..<bytes.count {
                out[index] = table[Int(bytes[index])]
            }
        }
    }

    /// Encodes `samples` into `out` (at least as long).
    public static func encode(_ samples: UnsafeBufferPointer<Int16>, _ law: G711Law, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= samples.count, "encode target too short")
        let table = law == .ulaw ? Tables.ulawEncode : Tables.alawEncode
        table.withUnsafeBufferPointer { table in
            for index in 0..<samples.count {
                out[index] = table[Int(UInt16(bitPattern: samples[index]))]
            }
        }
    }
}
