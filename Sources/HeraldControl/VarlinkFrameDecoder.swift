/// Splits a Varlink byte stream into messages: each is one JSON object followed by a NUL byte.
///
/// Incremental: feed it whatever one `read` returned, then take every complete message out.
/// A message longer than `maximumMessageSize` (NUL excluded) is an error as soon as that many
/// bytes have arrived without a NUL, so a peer cannot make the buffer grow without bound.
public struct VarlinkFrameDecoder: Sendable {
    public static let defaultMaximumMessageSize = 64 * 1024

    public let maximumMessageSize: Int
    private var buffer: [UInt8] = []
    /// Where the next message starts in `buffer`; bytes before it have been handed out.
    private var start = 0
    /// Where the search for the next NUL resumes, so each byte is scanned once.
    private var scanned = 0

    public init(maximumMessageSize: Int = VarlinkFrameDecoder.defaultMaximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// Whether bytes of an unfinished message are waiting for the rest.
    public var hasPartialMessage: Bool { start < buffer.count }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message without its NUL, or nil if none is complete yet.
    public mutating func nextMessage() throws(VarlinkFramingError) -> [UInt8]? {
        while scanned < buffer.count {
            if buffer[scanned] == 0 {
                let length = scanned - start
                guard length <= maximumMessageSize else { throw .messageTooLarge(limit: maximumMessageSize) }
                let message = Array(buffer[start..<scanned])
                scanned += 1
                start = scanned
                compactIfWorthwhile()
                return message
            }
            scanned += 1
        }
        if buffer.count - start > maximumMessageSize {
            throw .messageTooLarge(limit: maximumMessageSize)
        }
        return nil
    }

    private mutating func compactIfWorthwhile() {
        // Drop consumed bytes once they are the larger part; amortised O(1) per byte.
        if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
    }
}

public enum VarlinkFramingError: Error, Sendable, Hashable, CustomStringConvertible {
    case messageTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .messageTooLarge(let limit): "message longer than \(limit) bytes"
        }
    }
}
