import HeraldCore

/// The devices of a user as `/keys/query` lists them (E2EE notes §2), reduced to what checking
/// an Olm payload needs: each device's Ed25519 key by its Curve25519 key. A device counts only
/// when it sits under its own user and device ID and its keys carry a valid self-signature.
public enum DeviceKeyList {
    /// Devices read from one answer; a user with more is cut there.
    public static let maxDevices = 500

    public static func ed25519ByCurve25519(_ devices: [String: JSONValue], user: String) -> [String: String] {
        var out: [String: String] = [:]
        for (deviceID, keys) in devices.prefix(maxDevices) {
            guard keys["user_id"]?.string == user, keys["device_id"]?.string == deviceID,
                  let curve = keys["keys"]?["curve25519:\(deviceID)"]?.string,
                  let ed = keys["keys"]?["ed25519:\(deviceID)"]?.string,
                  SignedJSON.verify(keys, user: user, keyID: deviceID, publicKey: ed)
            else { continue }
            out[curve] = ed
        }
        return out
    }
}
