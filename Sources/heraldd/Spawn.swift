import CSystemd
import Foundation
import Glibc

/// Starts a helper program (xdg-open, pinentry) with `posix_spawnp`: no fork of a threaded
/// process, a clean signal mask, and the environment given (the daemon's own by default).
enum Spawn {
    static func start(_ argv: [String], environment: [String: String]? = nil,
                      fileActions: UnsafePointer<posix_spawn_file_actions_t>? = nil) -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var cargs = argv.map { strdup($0) } + [nil]
        let env = environment ?? ProcessInfo.processInfo.environment
        var cenv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cargs.forEach { free($0) }
            cenv.forEach { free($0) }
        }
        var pid = pid_t()
        return posix_spawnp(&pid, argv[0], fileActions, &attributes, &cargs, &cenv) == 0 ? pid : nil
    }
}
