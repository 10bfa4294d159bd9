/// G.711 code words seen as the linear samples they stand for, each decoded when read.
/// A concrete collection (not a lazy map over a closure) so that a generic consumer is
/// specialised for it and the table look-up is inlined into its loop.
public struct G711Samples: RandomAccessCollection {
    public let bytes: UnsafeRawBufferPointer
    /// 256 linear values, indexed by code word.
    let table: [Int16]

    public var startIndex: Int { 0 }
    public var endIndex: Int { bytes.count }

    public subscript(position: Int) -> Int16 {
        table[Int(bytes[position])]
    }
}
