import HeraldDBus

extension SecretService {
    struct PromptCompletion: Sendable {
        var dismissed: Bool
        /// The prompt's result: the objects unlocked, or the item or collection created.
        var objects: [String]
    }

    /// Shows the prompt at `prompt` (the user types the keyring password in the desktop's
    /// dialog) and waits for its `Completed` signal; returns the objects in its result.
    ///
    /// `purpose` names what the prompt is for in the errors ("unlocking the keyring").
    func complete(prompt: String, purpose: String, timeout: Duration) async throws -> [String] {
        let (completions, sink) = AsyncStream.makeStream(of: PromptCompletion.self, bufferingPolicy: .bufferingNewest(1))
        // Subscribed before Prompt is called, so a prompt that completes at once is not missed.
        try await bus.onSignal(path: prompt, interface: Self.promptInterface, member: "Completed") { r in
            guard let dismissed = try? r.bool() else { return }
            let objects = (try? r.variant { signature in try Self.objectPaths(signature, r) }) ?? []
            sink.yield(PromptCompletion(dismissed: dismissed, objects: objects))
            sink.finish()
        }
        try await bus.call(destination: Self.name, path: prompt, interface: Self.promptInterface, member: "Prompt",
                           build: { try $0.string("") },  // no parent window
                           decode: { _ in () })
        guard let completion = await Self.first(of: completions, within: timeout, on: bus) else {
            try Task.checkCancellation()
            _ = try? await bus.call(destination: Self.name, path: prompt, interface: Self.promptInterface, member: "Dismiss",
                                    decode: { _ in () })
            throw SecretServiceError.promptTimedOut(purpose: purpose, seconds: Int(timeout.components.seconds))
        }
        if completion.dismissed { throw SecretServiceError.promptDismissed(purpose: purpose) }
        return completion.objects
    }

    /// The object paths in a prompt result of signature `signature` ("ao" or "o"); none otherwise.
    private static func objectPaths(_ signature: String, _ r: MessageReader) throws -> [String] {
        switch signature {
        case "ao": return try r.objectPaths()
        case "o": return [try r.objectPath()]
        default:
            try r.skip(signature)
            return []
        }
    }

    /// The timeout sleeps on the bus's own event loop, not `Task.sleep` (see BusConnection.sleep).
    private static func first<T: Sendable>(of stream: AsyncStream<T>, within timeout: Duration, on bus: BusConnection) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask {
                for await value in stream { return value }
                return nil
            }
            group.addTask {
                try? await bus.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
