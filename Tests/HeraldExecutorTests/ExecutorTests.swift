import Foundation
import HeraldExecutor
import Synchronization
import XCTest

/// Herald's global executor, installed in this test process as heraldd installs it. Every
/// async test of the package that runs after this one then runs on the pool too.
final class ExecutorTests: XCTestCase {
    private actor Counter {
        var value = 0
        func add(_ n: Int) { value += n }
    }

    func testTasksRunOnThePoolAndAllComplete() async throws {
        XCTAssertEqual(herald_executor_install(2), 1)
        XCTAssertEqual(herald_executor_install(2), 1, "a second install keeps the pool that serves")

        let counter = Counter()
        let onPool = await withTaskGroup(of: Bool.self) { group in
            for i in 1...2_000 {
                group.addTask {
                    await counter.add(i)
                    return herald_executor_on_pool() == 1
                }
            }
            var all = true
            for await ran in group { all = all && ran }
            return all
        }
        XCTAssertTrue(onPool, "every child task ran on a pool thread")
        let total = await counter.value
        XCTAssertEqual(total, 2_000 * 2_001 / 2)

        // A detached task, a continuation resumed from a foreign thread, and a nested await.
        let value = await Task.detached { () -> Int in
            await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                Thread.detachNewThread { c.resume(returning: 42) }
            }
        }.value
        XCTAssertEqual(value, 42)
        XCTAssertEqual(herald_executor_on_pool(), 1, "the test itself resumed on the pool")
    }

    func testSleepStillWorks() async throws {
        XCTAssertEqual(herald_executor_install(2), 1)
        // Delayed jobs are left to libdispatch: they must come back to the pool.
        let start = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(50))
        XCTAssertEqual(herald_executor_on_pool(), 1)
    }

    func testAHeldTaskGoesOnOnTheThreadThatResumedIt() async throws {
        XCTAssertEqual(herald_executor_install(2), 1)
        let ran = Mutex<UInt32?>(nil)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                herald_executor_hold()
                c.resume()
                let n = herald_executor_run_held()
                ran.withLock { $0 = n }
            }
        }
        XCTAssertEqual(herald_executor_on_pool(), 0, "the task went on on the resuming thread, no pool thread woke")
        XCTAssertNil(ran.withLock { $0 }, "it runs inside herald_executor_run_held")
        let childOnPool = await Task { herald_executor_on_pool() }.value
        XCTAssertEqual(childOnPool, 1, "what a held task enqueues goes to the pool")
        let deadline = ContinuousClock.now + .seconds(10)
        while ran.withLock({ $0 }) == nil, ContinuousClock.now < deadline { await Task.yield() }
        XCTAssertEqual(ran.withLock { $0 }, 1, "one job was held and run")
    }

    func testWithoutAHoldTheResumedTaskGoesToThePool() async throws {
        XCTAssertEqual(herald_executor_install(2), 1)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                c.resume()
                XCTAssertEqual(herald_executor_run_held(), 0)
            }
        }
        XCTAssertEqual(herald_executor_on_pool(), 1)
    }
}
