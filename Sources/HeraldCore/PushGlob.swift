/// Glob matching as push rules use it: `*` is any run of characters, `?` exactly one, everything
/// else literal; case is ignored (appendix §Glob-style matching, Synapse `push/utils.rs`). As in
/// Synapse, where a glob is a regular expression, the wildcards do not match a newline, and a
/// pattern without wildcards compares lowercased text exactly (see `PushCaseFolding`).
///
/// The pattern is a chain of positions; the set of positions reached so far is a bit set moved
/// one Unicode scalar at a time (shift-and). Time is value length × pattern length / 64, with no
/// backtracking, so a long body against a hostile pattern stays cheap.
struct PushGlob: Sendable {
    /// Number of pattern tokens; bit `count` is the accepting position.
    private let count: Int
    private let words: Int
    private let star: [UInt64]
    private let one: [UInt64]
    private let literal: [Unicode.Scalar: [UInt64]]
    /// The pattern has wildcards: scalars compare by case class, not just lowercased.
    private let caseInsensitive: Bool

    init(_ pattern: String) {
        let wildcards = pattern.unicodeScalars.contains { $0 == "*" || $0 == "?" }
        self.init(tokens: Self.fold(pattern), wildcards: wildcards)
    }

    /// A pattern with no wildcards: a display name is matched as typed.
    init(literal: String) {
        self.init(tokens: Self.fold(literal), wildcards: false)
    }

    private init(tokens scalars: [Unicode.Scalar], wildcards: Bool) {
        var star: [Int] = [], one: [Int] = [], literal: [Unicode.Scalar: [Int]] = [:]
        var n = 0
        for s in scalars {
            if wildcards && s == "*" {
                if star.last == n - 1 && n > 0 { continue }  // `**` is `*`
                star.append(n)
            } else if wildcards && s == "?" {
                one.append(n)
            } else {
                literal[wildcards ? PushCaseFolding.caseClass(s) : s, default: []].append(n)
            }
            n += 1
        }
        count = n
        words = n / 64 + 1
        func bits(_ positions: [Int]) -> [UInt64] {
            var b = [UInt64](repeating: 0, count: n / 64 + 1)
            for p in positions { b[p / 64] |= 1 << UInt64(p % 64) }
            return b
        }
        self.star = bits(star)
        self.one = bits(one)
        self.literal = literal.mapValues(bits)
        caseInsensitive = wildcards
    }

    /// A value as the matcher compares it: lowercased as the homeserver does, as Unicode scalars.
    static func fold(_ value: String) -> [Unicode.Scalar] { PushCaseFolding.lowercase(value) }

    /// The whole value matches.
    func matchesWhole(_ value: String) -> Bool {
        var active = [UInt64](repeating: 0, count: words), next = active
        active[0] = 1
        closure(&active)
        for c in Self.fold(value) {
            step(active, c, into: &next)
            swap(&active, &next)
            closure(&active)
            if !active.contains(where: { $0 != 0 }) { return false }
        }
        return accepts(active)
    }

    /// Some stretch of the value matches and sits on word edges: a match may begin or end only
    /// at the start or end of the value, or next to a non-word character (on either side, as
    /// Synapse's `(?:^|\b|\W)…(?:\b|\W|$)` has it). Word characters are Unicode's, as in that
    /// regular expression: "zoë" is no word of "zoës", nor "élodie" of "mélodie".
    func matchesWords(in s: [Unicode.Scalar]) -> Bool {
        func edge(_ i: Int) -> Bool {
            i == 0 || i == s.count || !Self.isWordScalar(s[i - 1]) || !Self.isWordScalar(s[i])
        }
        var active = [UInt64](repeating: 0, count: words), next = active
        for i in 0...s.count {
            let atEdge = edge(i)
            if atEdge { active[0] |= 1 }
            closure(&active)
            if atEdge && accepts(active) { return true }
            if i < s.count {
                step(active, s[i], into: &next)
                swap(&active, &next)
            }
        }
        return false
    }

    /// `\w` of a Unicode regular expression: letters, marks, decimal digits, connector
    /// punctuation and joiners.
    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            switch c.value {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F: return true
            default: return false
            }
        }
        let p = c.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    private func accepts(_ active: [UInt64]) -> Bool {
        active[count / 64] & (1 << UInt64(count % 64)) != 0
    }

    /// A `*` may match nothing: reaching it also reaches the position after it. Stars are never
    /// adjacent, so one pass suffices.
    private func closure(_ a: inout [UInt64]) {
        for w in 0..<words {
            let s = a[w] & star[w]
            guard s != 0 else { continue }
            a[w] |= s << 1
            if w + 1 < words { a[w + 1] |= s >> 63 }
        }
    }

    /// Consume one scalar: `?` and a matching literal advance, `*` stays; a newline only ever
    /// matches itself.
    private func step(_ a: [UInt64], _ c: Unicode.Scalar, into next: inout [UInt64]) {
        let lit = literal[caseInsensitive ? PushCaseFolding.caseClass(c) : c]
        let wild = c != "\n"
        for w in 0..<words { next[w] = wild ? a[w] & star[w] : 0 }
        for w in 0..<words {
            let moving = a[w] & ((wild ? one[w] : 0) | (lit?[w] ?? 0))
            guard moving != 0 else { continue }
            next[w] |= moving << 1
            if w + 1 < words { next[w + 1] |= moving >> 63 }
        }
    }
}
