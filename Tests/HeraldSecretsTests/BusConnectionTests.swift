import CSystemd
import Foundation
import Glibc
import HeraldDBus
import Synchronization
import Testing

/// BusConnection against a real dbus-daemon (the private bus of these tests). A method call is
/// written by the calling thread under the connection's lock while the bus thread dispatches
/// replies: calls from many threads at once must all complete, and a call nobody answers must
/// still end at its time limit, which only the bus thread watches.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct BusConnectionTests {
    @Test func callsFromManyTasksAtOnceAllComplete() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        let conn = try bus.connect()
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var got: [String] = []
                    for _ in 0..<100 { got.append(try await Self.busID(conn)) }
                    return got
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 800)
        #expect(Set(ids).count == 1)
        #expect(ids.first?.count == 32)
    }

    @Test func aCallNobodyAnswersEndsAtItsTimeLimit() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        // A peer that owns a name and never reads its socket: calls to it are never answered.
        let silent = try bus.rawConnection()
        defer { sd_bus_flush_close_unref(silent) }
        #expect(sd_bus_request_name(silent, "org.herald.Silent", 0) >= 0)

        let conn = try bus.connect()
        // Settled first, and the bus thread back asleep in poll(): a thread still in its loop
        // would pick the time limit up by chance, and hide a limit nobody arms.
        #expect(try await Self.busID(conn).count == 32)
        #expect(try await Self.asleep(conn), "the bus thread did not go back to sleep after a reply")
        let start = ContinuousClock.now
        let outcome = Outcome()
        Task {
            do {
                try await conn.call(destination: "org.herald.Silent", path: "/", interface: "org.herald.Silent",
                                    member: "Hang", timeoutMicroseconds: 300_000, decode: { _ in () })
                outcome.set("answered")
            } catch let e as BusError {
                outcome.set(e.name)
            }
        }
        // Far beyond the limit, even on a loaded machine: a limit nobody watches never ends.
        while outcome.value == nil, ContinuousClock.now - start < .seconds(20) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let ended = ContinuousClock.now - start
        #expect(outcome.value == "org.freedesktop.DBus.Error.NoReply")
        #expect(ended >= .milliseconds(250))
        // The connection goes on serving.
        #expect(try await Self.busID(conn).count == 32)
    }

    /// Waits (10 s at most) until the connection's bus thread sleeps in poll(), as /proc shows it.
    static func asleep(_ conn: BusConnection) async throws -> Bool {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(10) {
            let tid = conn.threadID
            if tid != 0, let wchan = try? String(contentsOfFile: "/proc/self/task/\(tid)/wchan", encoding: .utf8),
               wchan.contains("poll") {
                return true
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    static func busID(_ conn: BusConnection) async throws -> String {
        try await conn.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                            member: "GetId", decode: { try $0.string() })
    }
}

/// How a call ended, set by the task that made it.
private final class Outcome: Sendable {
    private let state = Mutex<String?>(nil)
    var value: String? { state.withLock { $0 } }
    func set(_ v: String) { state.withLock { $0 = v } }
}
