#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the control socket lives, the same for `heraldd` and `heraldctl`.
public enum ControlPaths {
    /// `HERALD_SOCKET` if set, else `$XDG_RUNTIME_DIR/herald/control.sock`, else
    /// `/run/user/<uid>/herald/control.sock`. An empty or relative `XDG_RUNTIME_DIR` is ignored,
    /// as the XDG base directory specification asks.
    public static func defaultSocketPath(environment: [String: String]) -> String {
        if let socket = environment["HERALD_SOCKET"], !socket.isEmpty {
            return socket
        }
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            return (runtime.hasSuffix("/") ? String(runtime.dropLast()) : runtime) + "/herald/control.sock"
        }
        return "/run/user/\(getuid())/herald/control.sock"
    }

    /// The path for this process's environment.
    public static func defaultSocketPath() -> String {
        defaultSocketPath(environment: processEnvironment())
    }

    /// The process environment, read without Foundation.
    public static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return environment
    }
}
