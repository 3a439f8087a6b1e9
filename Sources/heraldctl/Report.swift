import ArgumentParser
import HeraldControl

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Everything heraldctl prints, and how a failure becomes a message and an exit status.
enum Report {
    /// Names for failures that are heraldctl's own, not a Varlink error from heraldd.
    static let usageErrorName = "org.herald.ctl.Usage"
    static let unreachableErrorName = "org.herald.ctl.Unreachable"
    static let invalidReplyErrorName = "org.herald.ctl.InvalidReply"

    static func standardError(_ text: String) {
        fflush(nil)  // keep stdout and stderr in order when both go to one place
        var bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = write(STDERR_FILENO, &bytes, bytes.count)
    }

    /// Prints one JSON document (keys sorted, one line) on standard output.
    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)
    }

    /// Prints what went wrong (stderr, and stdout with --json) and exits with the contract's code.
    static func failure(_ error: any Error, socketPath: String, json: Bool) -> Never {
        switch error {
        case let refusal as ControlError:
            if json {
                var document = refusal.parameters
                document["error"] = .string(refusal.varlinkName)
                document["message"] = .string(refusal.message)
                Report.json(document)
            }
            standardError("heraldctl: \(refusal.message)")
            exit(ExitStatus.refused)

        case let failure as ControlClientError:
            let message: String
            switch failure {
            case .invalidReply:
                if json {
                    Report.json(["error": .string(invalidReplyErrorName), "message": .string(failure.description)] as [String: JSONValue])
                }
                standardError("heraldctl: \(failure.description)")
                exit(ExitStatus.refused)
            case .unreachable, .disconnected, .timedOut:
                message = failure.description
            }
            if json {
                Report.json([
                    "error": .string(unreachableErrorName), "message": .string(message), "socket": .string(socketPath),
                ] as [String: JSONValue])
            }
            standardError("heraldctl: \(message)")
            if case .unreachable = failure {
                standardError("Is it running? Start it with `systemctl --user start herald` or run `heraldd`.")
            }
            exit(ExitStatus.unreachable)

        case let usage as UsageError:
            if json { Report.json(["error": .string(usageErrorName), "message": .string(usage.description)] as [String: JSONValue]) }
            standardError("heraldctl: \(usage.description)")
            exit(ExitStatus.usage)

        default:
            // ArgumentParser's own errors thrown from run(): ValidationError, CleanExit, ExitCode.
            let code = HeraldCtl.exitCode(for: error)
            if code == .success {
                print(HeraldCtl.fullMessage(for: error))
                exit(0)
            }
            let message = HeraldCtl.message(for: error)
            if code == .validationFailure {
                if json { Report.json(["error": .string(usageErrorName), "message": .string(message)] as [String: JSONValue]) }
                standardError("heraldctl: \(message)")
                exit(ExitStatus.usage)
            }
            if !message.isEmpty { standardError("heraldctl: \(message)") }
            exit(code.rawValue)
        }
    }
}
