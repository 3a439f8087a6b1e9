import HeraldJournal
import Logging

enum LogSetup {
    /// Under systemd, with stderr still the stream it handed over, lines go to journald through
    /// the native protocol with structured fields (HERALD_ACCOUNT=…); otherwise plain lines on
    /// stderr.
    static func bootstrap(level: Logger.Level, environment: [String: String]) {
        if JournalStream.standardErrorIsJournal(environment: environment) {
            LoggingSystem.bootstrap { label in
                var h = JournalLogHandler(label: label)
                h.logLevel = level
                return h
            }
        } else {
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
        }
    }
}
