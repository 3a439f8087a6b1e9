"""Canonical JSON by `canonicaljson`, for comparison with Herald's encoder byte for byte.

Reads {"texts": [<JSON text>…]} and prints {"canonical": [<base64 of the canonical bytes>…]}.
"""
import base64
import json
import sys

import canonicaljson


def main():
    request = json.load(sys.stdin)
    out = [base64.b64encode(canonicaljson.encode_canonical_json(json.loads(text))).decode()
           for text in request["texts"]]
    json.dump({"canonical": out}, sys.stdout)


if __name__ == "__main__":
    main()
