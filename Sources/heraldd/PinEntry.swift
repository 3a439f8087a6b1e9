import CSystemd
import Foundation
import Glibc

/// Asks for a PIN through `pinentry` (GnuPG's prompt programs, Assuan protocol on stdin/stdout),
/// for the "Unlock…" button of a locked account's notification. Runs on a dispatch queue: it
/// waits for the user.
enum PinEntry {
    private static let queue = DispatchQueue(label: "herald.pinentry")

    /// The PIN typed, or nil when pinentry is missing, cancelled or failed.
    static func ask(description: String, prompt: String) async -> String? {
        await withCheckedContinuation { cont in
            queue.async { cont.resume(returning: run(description: description, prompt: prompt)) }
        }
    }

    static var isInstalled: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { access("\($0)/pinentry", X_OK) == 0 }
    }

    private static func run(description: String, prompt: String) -> String? {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { return nil }
        guard pipe(&fromChild) == 0 else { close(toChild[0]); close(toChild[1]); return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        let pid = Spawn.start(["pinentry"], fileActions: &actions)
        close(toChild[0])
        close(fromChild[1])
        defer {
            close(toChild[1])
            close(fromChild[0])
            if let pid { var status: Int32 = 0; waitpid(pid, &status, 0) }
        }
        guard pid != nil else { return nil }
        let input = fdopen(fromChild[0], "r")
        defer { if let input { fclose(input) } }
        guard let input else { return nil }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        func readLine() -> String? {
            let n = getline(&line, &capacity, input)
            return n < 0 ? nil : String(cString: line!).trimmingCharacters(in: .newlines)
        }
        func send(_ command: String) -> Bool {
            let bytes = Array((command + "\n").utf8)
            return bytes.withUnsafeBytes { write(toChild[1], $0.baseAddress, $0.count) } == bytes.count
        }
        guard readLine()?.hasPrefix("OK") == true else { return nil }
        for command in ["SETTITLE Herald", "SETDESC \(escape(description))", "SETPROMPT \(escape(prompt))"] {
            guard send(command), readLine()?.hasPrefix("OK") == true else { return nil }
        }
        guard send("GETPIN") else { return nil }
        var pin: String?
        while let reply = readLine() {
            if reply.hasPrefix("D ") { pin = unescape(String(reply.dropFirst(2))) }
            if reply.hasPrefix("OK") || reply.hasPrefix("ERR") { break }
        }
        _ = send("BYE")
        return pin
    }

    /// Assuan percent-escapes %, CR and LF.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\n", with: "%0A").replacingOccurrences(of: "\r", with: "%0D")
    }

    static func unescape(_ s: String) -> String { s.removingPercentEncoding ?? s }
}
