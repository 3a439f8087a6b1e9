@testable import HeraldHTTP
import HeraldMatrix
import Testing

struct ConnectLimitTests {
    @Test func anOrdinaryRequestConnectsWithin15Seconds() {
        #expect(Transfer.connectLimit(timeoutMilliseconds: 30_000) == 15_000)
        #expect(Transfer.connectLimit(timeoutMilliseconds: 10_000) == 10_000)
    }

    @Test func aLongPollHasNoConnectTimerOfItsOwn() {
        // Its connect timer would fire in the middle of the poll on a reused connection.
        let limit = MatrixClient.syncLimitMilliseconds(poll: 30_000)
        #expect(Transfer.connectLimit(timeoutMilliseconds: limit) == limit)
    }
}
