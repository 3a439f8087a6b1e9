// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The executables are linked by lld with packed relative relocations (DT_RELR, glibc 2.36): a
// position-independent binary holds one relocation per pointer in its data, 2.3 MB as RELA
// entries that the loader reads, and pages in, at every start; packed, they take a few KB. And
// they export no symbols (swiftc asks for -export-dynamic): nothing loads them as a library, and
// the 18,000 names of every package's public API were 1.5 MB of the loader's tables.
let executableLinking: [LinkerSetting] = [.unsafeFlags([
    "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
])]

// heraldd's release build lays out first, in one run, the functions a day's work runs (the list is
// made by `make orderfile`, see scripts/orderfile.py), and next to them the functions that have no
// name to list (heraldd.ld): the kernel maps a binary's text into a process 64 KB and more at a
// time around each page it touches, so with those functions spread over 22 MB of Swift runtime,
// Foundation and packages, most of it became resident. Names the build does not have (another
// version's) are skipped. SwiftPM does not know these two files: after changing them, remove the
// release heraldd so that it is linked again (`make orderfile` does).
let daemonLinking: [LinkerSetting] = executableLinking + [.unsafeFlags([
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/heraldd/heraldd.order",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "-T\(Context.packageDirectory)/Sources/heraldd/heraldd.ld",
], .when(configuration: .release))]

let package = Package(
    name: "Herald",
    products: [
        .executable(name: "heraldd", targets: ["heraldd"]),
        .executable(name: "heraldctl", targets: ["heraldctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, each with a thin shim for variadic calls.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        // heraldd's global executor: a fixed pthread pool instead of libdispatch's, whose
        // worker-pool monitor would wake the idle daemon once a second.
        .target(name: "HeraldExecutor"),

        // Pure domain logic: no I/O.
        .target(name: "HeraldCore", swiftSettings: strict),
        .target(
            name: "HeraldStore",
            dependencies: ["HeraldCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .target(
            name: "HeraldHTTP",
            dependencies: ["CCurl", "HeraldExecutor", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "HeraldMatrix",
            dependencies: ["HeraldCore", "HeraldHTTP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "HeraldDBus",
            dependencies: ["CSystemd", "HeraldCore", "HeraldExecutor", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Token encryption (AES-GCM), the key's keeper (Secret Service or a 0600 file), PIN derivation (scrypt).
        .target(
            name: "HeraldSecrets",
            dependencies: [
                "HeraldDBus",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // End-to-end encryption, receiving side: canonical JSON and signatures, the Olm account and
        // inbound Olm sessions, inbound Megolm sessions. Pure functions of bytes, built on swift-crypto.
        .target(
            name: "HeraldCrypto",
            dependencies: [
                "HeraldCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // swift-log to journald (sd_journal_sendv, metadata as HERALD_* fields), for heraldd.
        .target(
            name: "HeraldJournal",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Start at login: the systemd user manager (through systemctl), else the unit links and an
        // XDG autostart entry. Files and child processes only, no sd-bus: heraldctl uses it.
        .target(name: "HeraldAutostart", swiftSettings: strict),
        // The control protocol: heraldctl depends on this and nothing that touches curl, sd-bus or SQLite.
        .target(
            name: "HeraldControl",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .executableTarget(
            name: "heraldd",
            dependencies: [
                "HeraldCore", "HeraldStore", "HeraldHTTP", "HeraldMatrix", "HeraldDBus", "HeraldControl", "HeraldSecrets", "HeraldCrypto", "HeraldJournal",
                "HeraldExecutor", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["heraldd.order", "heraldd.ld"],
            swiftSettings: strict, linkerSettings: daemonLinking),
        .executableTarget(
            name: "heraldctl",
            dependencies: ["HeraldControl", "HeraldAutostart", "HeraldCrypto", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict, linkerSettings: executableLinking),

        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore"], swiftSettings: strict),
        .testTarget(name: "HeraldStoreTests", dependencies: ["HeraldStore", "HeraldCore", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        .testTarget(name: "HeraldSecretsTests", dependencies: ["HeraldSecrets", "HeraldDBus", "CSystemd"], swiftSettings: strict),
        .testTarget(name: "HeraldCryptoTests", dependencies: ["HeraldCrypto", "HeraldCore", "HeraldMatrix"], swiftSettings: strict),
        .testTarget(name: "HeraldJournalTests", dependencies: ["HeraldJournal"], swiftSettings: strict),
        .testTarget(name: "HeraldAutostartTests", dependencies: ["HeraldAutostart"], swiftSettings: strict),
        .testTarget(name: "HeraldExecutorTests", dependencies: ["HeraldExecutor"], swiftSettings: strict),
        .testTarget(name: "HeraldControlTests", dependencies: ["HeraldControl"], swiftSettings: strict),
        .testTarget(name: "HeraldMatrixTests", dependencies: ["HeraldMatrix", "HeraldCore", "HeraldHTTP"], swiftSettings: strict),
    ]
)
