/// Case folding as the homeserver's push-rule evaluator does it (Synapse `push/utils.rs`): the
/// body and a wildcard-free pattern are lowercased with Unicode's full mapping, final sigma
/// included ("ΝΊΚΟΣ" → "νίκος"); a pattern with wildcards compares case-insensitively, so there
/// each scalar stands for its simple case class (σ, ς and Σ alike).
enum PushCaseFolding {
    /// Lowercase, with `Σ` → `ς` at the end of a word (Unicode's Final_Sigma condition).
    static func lowercase(_ value: String) -> [Unicode.Scalar] {
        let scalars = Array(value.unicodeScalars)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for (i, c) in scalars.enumerated() {
            if c.isASCII {
                out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 0x20)! : c)
            } else if c == "\u{03A3}" {
                out.append(isFinalSigma(scalars, at: i) ? "\u{03C2}" : "\u{03C3}")
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// The scalar a case-insensitive comparison sees: lowercase of uppercase, when both map to
    /// one scalar (`ς` → `σ`, `ſ` → `s`).
    static func caseClass(_ c: Unicode.Scalar) -> Unicode.Scalar {
        if c.isASCII { return c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 0x20)! : c }
        let upper = c.properties.uppercaseMapping.unicodeScalars
        guard upper.count == 1, let u = upper.first else { return c }
        let lower = u.properties.lowercaseMapping.unicodeScalars
        guard lower.count == 1, let l = lower.first else { return c }
        return l
    }

    /// Preceded by a cased letter and not followed by one, case-ignorable scalars skipped.
    private static func isFinalSigma(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        func casedNext<C: Collection>(_ side: C) -> Bool where C.Element == Unicode.Scalar {
            side.first { !$0.properties.isCaseIgnorable }?.properties.isCased ?? false
        }
        return casedNext(s[..<i].reversed()) && !casedNext(s[(i + 1)...])
    }
}
