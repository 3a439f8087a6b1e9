import Foundation
import Testing

@testable import HeraldCore

struct UTCTimestampTests {
    @Test(arguments: [0, 1, 59.999, 86_399, 951_782_400, 1_764_521_857.25, 1_798_761_599, 4_102_444_800])
    func readsAsFoundationsISO8601(_ seconds: Double) {
        #expect(UTCTimestamp.iso8601(seconds) == Date(timeIntervalSince1970: seconds).ISO8601Format())
    }

    @Test func knownMoments() {
        #expect(UTCTimestamp.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(UTCTimestamp.iso8601(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(UTCTimestamp.iso8601(1_764_521_857.9) == "2025-11-30T16:57:37Z")
    }

    @Test func outOfRangeIsClampedNotATrap() {
        #expect(UTCTimestamp.iso8601(-5) == "1970-01-01T00:00:00Z")
        #expect(UTCTimestamp.iso8601(.nan) == "1970-01-01T00:00:00Z")
        #expect(UTCTimestamp.iso8601(.infinity) == "9999-12-31T23:59:59Z")
        #expect(UTCTimestamp.iso8601(-.infinity) == "1970-01-01T00:00:00Z")
        #expect(UTCTimestamp.iso8601(1e300) == "9999-12-31T23:59:59Z")
    }
}
