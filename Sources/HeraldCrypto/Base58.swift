/// Bitcoin's base58 alphabet, as recovery keys use it (spec appendices, Cryptographic key
/// representation): digits and letters without 0, O, I and l.
enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// The value of one character, or nil for a character outside the alphabet.
    static func digit(_ character: UInt8) -> UInt8? {
        alphabet.firstIndex(of: character).map { UInt8($0) }
    }

    /// Decodes characters that are all in the alphabet (check with `digit` first). Each leading "1"
    /// is a leading zero byte. Works in one buffer sized up front, which it zeroes before
    /// returning, so the caller's result is the only copy of the bytes.
    static func decode(_ characters: [UInt8]) -> [UInt8] {
        // n base58 digits never need more than n bytes.
        var work = [UInt8](repeating: 0, count: characters.count)
        defer { Wipe.bytes(&work) }
        var used = 0  // significant bytes at the end of `work`
        for character in characters {
            var carry = Int(digit(character) ?? 0)
            var j = work.count - 1
            while j >= work.count - used || carry != 0 {
                carry += 58 * Int(work[j])
                work[j] = UInt8(carry & 0xFF)
                carry >>= 8
                j -= 1
            }
            used = work.count - 1 - j
        }
        let zeros = characters.prefix { $0 == UInt8(ascii: "1") }.count
        var out = [UInt8](repeating: 0, count: zeros + used)
        for i in 0..<used { out[zeros + i] = work[work.count - used + i] }
        return out
    }
}
