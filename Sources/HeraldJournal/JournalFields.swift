import Logging

/// How one log event becomes journal fields (systemd.journal-fields(7)): the message, its
/// priority, the identifier, where it was logged, and each metadata key as a field of its own,
/// so that `journalctl --user HERALD_ACCOUNT=@alice:example.org` finds one account's lines.
public enum JournalFields {
    /// The value of SYSLOG_IDENTIFIER=, what `journalctl -t` selects.
    public static let identifier = "heraldd"

    /// The fields of one event, in order, MESSAGE= first. Values may hold any bytes but NUL,
    /// newlines included: the native protocol carries them as binary fields.
    public static func make(
        level: Logger.Level, message: String, metadata: Logger.Metadata, label: String,
        file: String, function: String, line: UInt, identifier: String = identifier
    ) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(priority(level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", file),
            ("CODE_LINE", String(line)),
            ("CODE_FUNC", function),
            ("HERALD_LOGGER", label),
        ]
        for key in metadata.keys.sorted() {
            guard let name = fieldName(forMetadataKey: key) else { continue }
            fields.append((name, isSecret(key) ? "<redacted>" : render(metadata[key]!)))
        }
        return fields
    }

    /// syslog(3) priorities: swift-log's trace and debug both map to LOG_DEBUG.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// `account` → HERALD_ACCOUNT, `room` → HERALD_ROOM, `retry-after` → HERALD_RETRY_AFTER.
    /// Journal field names are upper-case letters, digits and underscores, at most 64 bytes;
    /// a key that yields no letter or digit gives no field.
    public static func fieldName(forMetadataKey key: String) -> String? {
        var name = "HERALD_"
        var sawAlphanumeric = false
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!); sawAlphanumeric = true
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar); sawAlphanumeric = true
            default: if !name.hasSuffix("_") { name.append("_") }
            }
        }
        guard sawAlphanumeric else { return nil }
        while name.hasSuffix("_") { name.removeLast() }
        return String(name.prefix(64))
    }

    /// Keys whose values must never reach the journal, whatever a caller passes by mistake.
    static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "token", "access_token", "accesstoken", "pin", "secret", "passphrase"].contains(k)
            || k.hasSuffix("password") || k.hasSuffix("token") || k.hasSuffix("secret")
    }

    static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let a): "[" + a.map(render).joined(separator: ", ") + "]"
        case .dictionary(let d): "[" + d.keys.sorted().map { "\($0): \(render(d[$0]!))" }.joined(separator: ", ") + "]"
        }
    }
}
