import HeraldControl
import Testing

struct VarlinkFrameDecoderTests {
    @Test func messageSplitAcrossReadsIsReturnedOnceComplete() throws {
        var decoder = VarlinkFrameDecoder()
        let bytes = Array(#"{"method":"org.herald.Control.Status"}"#.utf8) + [0]
        for byte in bytes.dropLast() {
            decoder.append([byte])
            #expect(try decoder.nextMessage() == nil)
        }
        #expect(decoder.hasPartialMessage)
        decoder.append([0])
        #expect(try decoder.nextMessage() == Array(bytes.dropLast()))
        #expect(try decoder.nextMessage() == nil)
        #expect(!decoder.hasPartialMessage)
    }

    @Test func severalMessagesInOneReadComeOutInOrder() throws {
        var decoder = VarlinkFrameDecoder()
        decoder.append(Array("{\"a\":1}\0{\"b\":2}\0{}\0{\"c\"".utf8))
        #expect(try decoder.nextMessage() == Array(#"{"a":1}"#.utf8))
        #expect(try decoder.nextMessage() == Array(#"{"b":2}"#.utf8))
        #expect(try decoder.nextMessage() == Array("{}".utf8))
        #expect(try decoder.nextMessage() == nil)
        decoder.append(Array(":3}\0".utf8))
        #expect(try decoder.nextMessage() == Array(#"{"c":3}"#.utf8))
    }

    @Test func emptyMessageIsAMessage() throws {
        var decoder = VarlinkFrameDecoder()
        decoder.append([0])
        #expect(try decoder.nextMessage() == [])
    }

    @Test func messageAtTheLimitIsAccepted() throws {
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 16)
        decoder.append([UInt8](repeating: 0x20, count: 16) + [0])
        #expect(try decoder.nextMessage()?.count == 16)
    }

    @Test func unterminatedOversizeIsRejectedBeforeTheEnd() throws {
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 16)
        decoder.append([UInt8](repeating: 0x20, count: 16))
        #expect(try decoder.nextMessage() == nil)
        decoder.append([0x20])
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 16)) { try decoder.nextMessage() }
    }

    @Test func completeOversizeMessageIsRejected() throws {
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 16)
        decoder.append(Array("{}\0".utf8) + [UInt8](repeating: 0x20, count: 40) + [0])
        #expect(try decoder.nextMessage() == Array("{}".utf8))
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 16)) { try decoder.nextMessage() }
    }

    @Test func defaultLimitIs64KiB() throws {
        var decoder = VarlinkFrameDecoder()
        #expect(decoder.maximumMessageSize == 65536)
        decoder.append([UInt8](repeating: 0x20, count: 65537))
        #expect(throws: VarlinkFramingError.self) { try decoder.nextMessage() }
    }

    @Test func manyMessagesThroughOneDecoderStayIntact() throws {
        // Exercises the buffer compaction: thousands of messages, fed in odd-sized pieces.
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 64)
        var stream: [UInt8] = []
        for index in 0..<3000 { stream += Array("{\"n\":\(index)}".utf8) + [0] }
        var received: [String] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + 777, stream.count)
            decoder.append(stream[offset..<end])
            offset = end
            while let message = try decoder.nextMessage() { received.append(String(decoding: message, as: UTF8.self)) }
        }
        #expect(received.count == 3000)
        #expect(received.first == #"{"n":0}"#)
        #expect(received.last == #"{"n":2999}"#)
    }
}
