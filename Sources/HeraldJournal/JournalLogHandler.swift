import CSystemd
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes to journald through its native protocol (`sd_journal_sendv`),
/// with metadata as structured fields (see `JournalFields`). If the journal refuses a line
/// (journald restarting), the line goes to standard error instead, so nothing is lost.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        let fields = JournalFields.make(
            level: event.level, message: event.message.description, metadata: merged, label: label,
            file: event.file, function: event.function, line: event.line)
        if Self.send(fields) < 0 {
            var text = "\(event.level): \(event.message)\n"
            text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// One `KEY=value` iovec per field over one contiguous buffer; sd_journal_sendv copies them.
    static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (name, value) in fields {
            let start = bytes.count
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: "="))
            // A NUL would cut the field short in journald's eyes; nothing Herald logs has one.
            bytes.append(contentsOf: value.utf8.map { $0 == 0 ? UInt8(ascii: "?") : $0 })
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            var vectors = ranges.map { iovec(iov_base: buffer.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            return sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}
