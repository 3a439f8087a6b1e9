extension OlmAccount {
    /// Whether the current fallback key was uploaded: only then can the server report it used.
    public var hasPublishedFallbackKey: Bool { fallbackKey?.published ?? false }
}
