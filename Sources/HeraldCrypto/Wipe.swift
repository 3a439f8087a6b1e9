#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Overwriting secrets (a recovery key's text, a passphrase, a decrypted private key) once they
/// have been used, so that they do not linger in freed memory.
///
/// What this can and cannot promise in Swift:
/// - It zeroes the one buffer an array owns, through a call the optimiser may not drop
///   (`explicit_bzero`). If that buffer is shared with another array (copy on write), Swift first
///   makes a private copy and that copy is the one zeroed: the other array keeps the secret. Keep a
///   secret in one array, pass it `inout`, never assign it to a second variable.
/// - An array that grew by appending left its earlier, smaller buffers behind, unzeroed: reserve
///   the capacity before reading a secret into an array.
/// - Strings cannot be wiped: a secret that ever was a `String` (for example from `readLine`) may
///   stay in memory until the page is reused. Read secrets as bytes.
/// - swift-crypto keeps keys (`SymmetricKey`, Curve25519 private keys, shared secrets) in buffers
///   it zeroes when they are freed; those are the types the keys live in here. Some of its
///   operations still leave copies it does not zero: PBKDF2 builds its result in a `Data`, AES-CTR
///   and AES-CBC expand the key on the stack, `rawRepresentation` returns a `Data`.
/// - Swap, core dumps and a debugger see everything; this is hygiene, not protection against
///   someone who can read the process's memory while it runs.
public enum Wipe {
    /// Zeroes every byte of `bytes` in place, keeping its count.
    public static func bytes(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            #if canImport(Darwin)
            _ = memset_s(base, raw.count, 0, raw.count)
            #else
            explicit_bzero(base, raw.count)
            #endif
        }
    }
}
