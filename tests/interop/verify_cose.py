"""Verify an iotmark label.cose with libraries iotmark does not use.

cbor2 decodes the COSE_Sign1 structure, `cryptography` checks the Ed25519
signature with the public key from the lab certificate, as RFC 9052 section 4.4
defines the signed bytes. A tampered payload must fail.
"""

import sys

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def main() -> int:
    label = open(sys.argv[1], "rb").read()
    cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
    key = cert.public_key()

    obj = cbor2.loads(label)
    if not (isinstance(obj, cbor2.CBORTag) and obj.tag == 18):
        print("not a tagged COSE_Sign1")
        return 1
    protected, unprotected, payload, signature = obj.value
    header = cbor2.loads(protected)
    if header.get(1) != -8:
        print(f"algorithm is {header.get(1)}, not EdDSA (-8)")
        return 1
    if len(header.get(4, b"")) != 8:
        print("kid is not 8 bytes")
        return 1
    if unprotected:
        print("unprotected header is not empty")
        return 1

    key.verify(signature, sig_structure(protected, payload))
    claims = cbor2.loads(payload)
    print(f"signature verifies; claims keys {sorted(claims)}; model {claims.get(4)!r}")

    tampered = bytearray(payload)
    tampered[len(tampered) // 2] ^= 0x01
    try:
        key.verify(signature, sig_structure(protected, bytes(tampered)))
    except InvalidSignature:
        print("a tampered payload is rejected")
        return 0
    print("a tampered payload verified")
    return 1


if __name__ == "__main__":
    sys.exit(main())
