/// Every bound on Olm input and state, in one place. The values follow vodozemac 0.10 where it has
/// one (`src/olm/account/one_time_keys.rs`, `src/olm/session/receiver_chain.rs`).
public enum OlmLimits {
    /// Largest decoded Olm message accepted (a to-device event is at most 64 KiB on the wire anyway).
    public static let maxMessageBytes = 64 * 1024
    /// How far ahead of its chain a message may be: vodozemac's `MAX_MESSAGE_GAP`.
    public static let maxMessageGap: UInt32 = 2000
    /// Skipped message keys kept per session for out-of-order delivery, oldest dropped first:
    /// vodozemac's and libolm's `MAX_MESSAGE_KEYS` / `MAX_SKIPPED_MESSAGE_KEYS`.
    public static let maxSkippedMessageKeys = 40
    /// Private one-time keys kept, oldest dropped first: vodozemac's `MAX_ONE_TIME_KEYS` (100 × 50).
    public static let maxStoredOneTimeKeys = 5000
    /// One-time keys worth publishing at once: vodozemac's `PUBLIC_MAX_ONE_TIME_KEYS`.
    public static let maxPublishedOneTimeKeys = 50
    /// Sessions kept per sender Curve25519 key, least recently used dropped first. The spec asks
    /// for at least 4 per device.
    public static let maxSessionsPerSender = 5
    /// How long the previous fallback key is kept after its replacement was first used, for
    /// messages from senders who claimed it earlier (the spec's example: an hour).
    public static let previousFallbackKeyGraceSeconds: UInt64 = 3600
}
