import HeraldCore
import Testing

@Suite struct ServiceStatusLineTests {
    @Test(arguments: [
        ([String](), 0, "no accounts"),
        (["syncing"], 0, "1 account, syncing"),
        (["syncing", "syncing"], 1, "2 accounts, 1 locked, syncing"),
        (["syncing", "offline"], 0, "2 accounts, 1 offline, syncing"),
        (["offline", "offline"], 2, "2 accounts, 2 locked, offline"),
        (["signed_out"], 0, "1 account, signed out"),
        (["offline", "starting", "syncing", "syncing"], 0, "4 accounts, 1 starting, 1 offline, syncing"),
        (["zeta", "alpha", "syncing"], 0, "3 accounts, 1 alpha, 1 zeta, syncing"),
    ])
    func summary(states: [String], locked: Int, line: String) {
        #expect(ServiceStatusLine.summary(states: states, locked: locked) == line)
    }
}
