"""Checks Herald's signed JSON with two independent Ed25519 verifiers: libolm's (python-olm
`ed25519_verify`) and vodozemac's (`Ed25519PublicKey.verify_signature`).

Reads {"objects": [{"value": <signed JSON>, "user": …, "key_id": "ed25519:…", "key": <b64>}…]} and
prints {"results": [{"libolm": bool, "vodozemac": bool}…]}: the signed bytes are the canonical
JSON (canonicaljson) of the object without `signatures` and `unsigned`.
"""
import json
import sys

import canonicaljson
import olm
import vodozemac


def check(item):
    value = dict(item["value"])
    signature = value.get("signatures", {}).get(item["user"], {}).get(item["key_id"], "")
    value.pop("signatures", None)
    value.pop("unsigned", None)
    signed = canonicaljson.encode_canonical_json(value)
    try:
        olm.ed25519_verify(item["key"], signed, signature)
        by_libolm = True
    except olm.OlmVerifyError:
        by_libolm = False
    try:
        vodozemac.Ed25519PublicKey.from_base64(item["key"]).verify_signature(
            signed, vodozemac.Ed25519Signature.from_base64(signature))
        by_vodozemac = True
    except (vodozemac.SignatureException, vodozemac.KeyException):
        by_vodozemac = False
    return {"libolm": by_libolm, "vodozemac": by_vodozemac}


def main():
    request = json.load(sys.stdin)
    json.dump({"results": [check(item) for item in request["objects"]]}, sys.stdout)


if __name__ == "__main__":
    main()
