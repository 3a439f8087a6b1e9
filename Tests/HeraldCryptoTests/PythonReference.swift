import Foundation
import HeraldCore
import HeraldMatrix

/// Runs one of the reference scripts under `tests/crypto` with the test virtualenv's Python, where
/// `vodozemac`, `python-olm` and `canonicaljson` are installed (`make deps`), and returns what it
/// printed on standard output as JSON. A missing virtualenv or package is a failure, never a skip.
enum PythonReference {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: String {
        if let p = ProcessInfo.processInfo.environment["HERALD_TEST_PYTHON"], !p.isEmpty { return p }
        return root.appendingPathComponent(".venv/bin/python").path
    }

    /// `input` is written to the script's standard input (JSON, usually Herald's public keys).
    static func run(_ script: String, _ arguments: [String] = [], input: JSONValue? = nil) throws -> JSONValue {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "no Python at \(python): run `make deps` to create the test virtualenv")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("tests/crypto/\(script)").path] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data((input ?? .null).encoded()))
        try stdin.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a large output cannot fill a pipe and stall.
        let group = DispatchGroup()
        nonisolated(unsafe) var errors = Data()
        group.enter()
        DispatchQueue.global().async {
            errors = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return try JSONValue.decode([UInt8](output))
    }
}
