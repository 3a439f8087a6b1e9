import HeraldCore
import Testing

@Suite struct LoopbackHostTests {
    @Test(arguments: ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "[::1]",
                      "0:0:0:0:0:0:0:1", "[0000::1]"])
    func literalLoopbackAddressesAreThisMachine(host: String) {
        #expect(LoopbackHost.contains(host))
    }

    @Test(arguments: [
        "127.attacker.example", "127.0.0.1.attacker.example", "127.example", "localhost.", "localhost.attacker.example",
        "127.1", "127.0.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.00.0.1", "127.0.0.256", "127.0.0.1.",
        "128.0.0.1", "10.0.0.1", "::2", "::ffff:127.0.0.1", "[::1", "::1%lo", "", "matrix.example.org",
    ])
    func namesAndOtherAddressesAreNot(host: String) {
        #expect(!LoopbackHost.contains(host))
    }
}
