import HeraldControl
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct ControlPathsTests {
    @Test func heraldSocketWins() {
        let path = ControlPaths.defaultSocketPath(environment: ["HERALD_SOCKET": "/tmp/x.sock", "XDG_RUNTIME_DIR": "/run/user/7"])
        #expect(path == "/tmp/x.sock")
    }

    @Test func runtimeDirectoryIsUsedNext() {
        #expect(ControlPaths.defaultSocketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/7"]) == "/run/user/7/herald/control.sock")
        #expect(ControlPaths.defaultSocketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/7/", "HERALD_SOCKET": ""])
            == "/run/user/7/herald/control.sock")
    }

    @Test func fallsBackToRunUserUID() {
        let expected = "/run/user/\(getuid())/herald/control.sock"
        #expect(ControlPaths.defaultSocketPath(environment: [:]) == expected)
        #expect(ControlPaths.defaultSocketPath(environment: ["XDG_RUNTIME_DIR": "relative/dir"]) == expected)
    }

    @Test func processEnvironmentIsRead() {
        setenv("HERALD_CONTROL_TEST_VARIABLE", "a=b", 1)
        #expect(ControlPaths.processEnvironment()["HERALD_CONTROL_TEST_VARIABLE"] == "a=b")
    }
}
