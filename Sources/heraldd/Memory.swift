import Glibc

/// Gives memory back after a big /sync answer. glibc raises its mmap threshold each time a big
/// mapped buffer is freed (up to 32 MiB), so later big buffers land in a thread's heap, which
/// keeps the pages once they are free: a 32 MiB answer left about 66 MB behind for good.
enum Memory {
    /// An answer at least this big is followed by a trim.
    static let bigAnswer = 1 << 20

    /// At start: every buffer of 1 MiB or more gets a mapping of its own, unmapped when freed.
    static func mapBigBuffersAlone() {
        guard let mallopt = glibc("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self) else { return }
        _ = mallopt(-3, Int32(bigAnswer))  // M_MMAP_THRESHOLD, which also ends the threshold's growth
    }

    /// Hands the free pages of every heap back to the system (the tree a big answer was read
    /// into is many small blocks). Takes a few milliseconds; called only after a big answer.
    static func trim() {
        guard let trim = glibc("malloc_trim", as: (@convention(c) (Int) -> Int32).self) else { return }
        _ = trim(0)
    }

    /// glibc's malloc tuning, which the Glibc module does not import (malloc.h); absent under
    /// another C library.
    private static func glibc<F>(_ name: String, as type: F.Type) -> F? {
        guard let symbol = dlsym(nil, name) else { return nil }  // nil: RTLD_DEFAULT, every loaded library
        return unsafeBitCast(symbol, to: type)
    }
}
