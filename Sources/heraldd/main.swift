import ArgumentParser
import Foundation
import HeraldExecutor

// Before any task runs: the global executor becomes Herald's own pool (see herald_executor.h).
// HERALD_DISPATCH_EXECUTOR=1 keeps libdispatch's, to compare the two.
if ProcessInfo.processInfo.environment["HERALD_DISPATCH_EXECUTOR"] != "1" {
    let cores = max(2, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    if herald_executor_install(UInt32(cores)) == 0 {
        FileHandle.standardError.write(Data("heraldd: keeping the default executor (the runtime offers no hook)\n".utf8))
    }
}
Memory.mapBigBuffersAlone()
/// What `AsyncParsableCommand.main()` does, spelled out: a bare call from here picks the
/// synchronous overload of `main()`.
func runDaemon() async {
    do {
        var command = try HeraldDaemonCommand.parseAsRoot()
        if var daemon = command as? any AsyncParsableCommand {
            try await daemon.run()
        } else {
            try command.run()  // --help, --version
        }
    } catch {
        HeraldDaemonCommand.exit(withError: error)
    }
}

await runDaemon()
