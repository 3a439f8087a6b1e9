import Foundation
import Glibc
import HeraldDBus

/// A scripted Secret Service (Python and jeepney, from the test virtualenv) for what a headless
/// gnome-keyring cannot show: prompts that complete, are dismissed, or never answer, and a
/// service without a default collection.
///
/// Scenarios:
/// - "fresh": no collection and no "default" alias; CreateCollection and CreateItem each need a prompt.
/// - "locked": a locked collection holding a Herald item whose value is the bytes 0...31;
///   Unlock needs a prompt.
/// - "dismiss": as "locked", but the user dismisses the prompt.
/// - "silent": as "locked", but the prompt never completes.
/// - "hidden": as "locked", but a search finds nothing until the collection is unlocked (as
///   gnome-keyring does with a keyring it has not opened yet).
/// Each prompt emits `Completed` *before* replying to `Prompt`, so a client that subscribed
/// only after calling Prompt would miss it.
enum FakeSecretService {
    /// Starts the fake on `bus` and waits until it owns org.freedesktop.secrets. Its calls are
    /// logged, one "call MEMBER PATH" line each, in `log(bus)`.
    static func start(on bus: PrivateBus, scenario: String) async throws {
        let script = bus.directory.path + "/fake_secret_service.py"
        try source.write(toFile: script, atomically: true, encoding: .utf8)
        let process = try ChildProcess(
            try python(), [script, bus.address, scenario], environment: ["PATH": "/usr/bin:/bin"], logPath: logPath(bus))
        bus.adopt(process)
        let connection = try bus.connect()
        let start = ContinuousClock.now
        while try await !BusDaemon(bus: connection).nameHasOwner("org.freedesktop.secrets") {
            guard process.isRunning, ContinuousClock.now - start < .seconds(15) else {
                throw PrivateBus.SetupError(description: "the fake Secret Service did not start: \(self.log(bus))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func log(_ bus: PrivateBus) -> String {
        (try? String(contentsOfFile: logPath(bus), encoding: .utf8)) ?? ""
    }

    private static func logPath(_ bus: PrivateBus) -> String { bus.directory.path + "/fake_secret_service.log" }

    /// The test virtualenv's Python (scripts/install-deps.sh makes it), else a python3 that has jeepney.
    private static func python() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let venv = root + "/.venv/bin/python"
        if access(venv, X_OK) == 0 { return venv }
        if let probe = try? ChildProcess("/usr/bin/python3", ["-c", "import jeepney"], environment: [:]),
           probe.wait(seconds: 10), probe.exitCode == 0 {
            return "/usr/bin/python3"
        }
        throw PrivateBus.SetupError(description: "no Python with jeepney: run scripts/install-deps.sh (it makes \(venv))")
    }

    static let source = #"""
        import sys
        from jeepney import new_method_return, new_signal, new_error, DBusAddress, MessageType, HeaderFields
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.bus_messages import message_bus

        address, scenario = sys.argv[1], sys.argv[2]
        conn = open_dbus_connection(bus=address)
        ROOT = "/org/freedesktop/secrets"
        COLLECTION = ROOT + "/collection/fake"
        ITEM = COLLECTION + "/1"
        HERALD = {"application": "herald", "xdg:schema": "org.herald.TokenKey"}
        state = {"alias": None, "locked": False, "items": {}}
        if scenario in ("locked", "dismiss", "silent", "hidden"):
            state.update(alias=COLLECTION, locked=True)
            state["items"][ITEM] = (HERALD, bytes(range(32)))
        prompts = {}

        def new_prompt(action):
            path = "%s/prompt/p%d" % (ROOT, len(prompts) + 1)
            prompts[path] = action
            return path

        def completed(path, dismissed, result):
            emitter = DBusAddress(path, interface="org.freedesktop.Secret.Prompt")
            conn.send(new_signal(emitter, "Completed", "bv", (dismissed, result)))

        conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.secrets"))
        while True:
            msg = conn.receive()
            if msg.header.message_type != MessageType.method_call:
                continue
            path = msg.header.fields.get(HeaderFields.path)
            member = msg.header.fields.get(HeaderFields.member)
            body = msg.body
            print("call", member, path, flush=True)

            def reply(signature="", *values):
                conn.send(new_method_return(msg, signature, values))

            if member == "OpenSession":
                assert body == ("plain", ("s", "")), body
                reply("vo", ("s", ""), ROOT + "/session/s1")
            elif member == "Close":
                reply()
            elif member == "SearchItems":
                found = [p for p, (attrs, _) in state["items"].items() if all(attrs.get(k) == v for k, v in body[0].items())]
                if scenario == "hidden" and state["locked"]:
                    found = []
                reply("aoao", [] if state["locked"] else found, found if state["locked"] else [])
            elif member == "Unlock":
                if not state["locked"]:
                    reply("aoo", body[0], "/")
                else:
                    def unlock(objects=body[0]):
                        state["locked"] = False
                        return ("ao", objects)
                    reply("aoo", [], new_prompt(unlock))
            elif member == "ReadAlias":
                reply("o", state["alias"] or "/")
            elif member == "CreateCollection":
                assert body == ({"org.freedesktop.Secret.Collection.Label": ("s", "Default keyring")}, "default"), body
                def create_collection():
                    state.update(alias=COLLECTION, locked=False)
                    return ("o", COLLECTION)
                reply("oo", "/", new_prompt(create_collection))
            elif member == "CreateItem" and path == COLLECTION:
                properties, (session, parameters, value, content_type), replace = body
                assert properties["org.freedesktop.Secret.Item.Label"] == ("s", "Herald token key"), properties
                assert properties["org.freedesktop.Secret.Item.Attributes"] == ("a{ss}", HERALD), properties
                assert (session, parameters, len(value), content_type, replace) == (ROOT + "/session/s1", b"", 32, "application/octet-stream", True)
                def create_item(value=value):
                    state["items"][ITEM] = (HERALD, value)
                    return ("o", ITEM)
                reply("oo", "/", new_prompt(create_item))
            elif member == "GetSecrets":
                items, session = body
                if state["locked"]:
                    conn.send(new_error(msg, "org.freedesktop.Secret.Error.IsLocked", "s", ("locked",)))
                    continue
                reply("a{o(oayays)}", {p: (session, b"", state["items"][p][1], "application/octet-stream") for p in items if p in state["items"]})
            elif member == "Prompt" and path in prompts:
                if scenario == "dismiss":
                    completed(path, True, ("ao", []))
                elif scenario != "silent":
                    completed(path, False, prompts.pop(path)())
                reply()
            elif member == "Dismiss" and path in prompts:
                prompts.pop(path)
                completed(path, True, ("ao", []))
                reply()
            else:
                conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", ("no %s on %s" % (member, path),)))
        """#
}
