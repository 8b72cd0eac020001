"""A label for a tested product, for the browser check.

The browser check's run is against a simulated product, so `iotmark issue`
gives it only a demonstration label (key 12 of the claims set). To show the
page of a label for a product that was really tested, the lab signs the same
claims without the mark, outside `iotmark issue` — what a lab holding its key
can do for a product it tested. The claims are re-encoded in CBOR's
deterministic form (cbor2's canonical mode: sorted integer keys, shortest
integers), which is iotmark's compact encoding; the COSE_Sign1 keeps the
demonstration label's protected header (same algorithm and kid).

Needs cbor2 and cryptography (.ci/run installs them for the interop check).
"""

import cbor2
from cryptography.hazmat.primitives import serialization

SIMULATED_KEY = 12


def digits(data: bytes) -> str:
    """iotmark's QR numeric encoding: 7-byte chunks as 17 digits, a final
    k-byte chunk as 3, 5, 8, 10, 13 or 15 digits."""
    widths = [3, 5, 8, 10, 13, 15]
    out = []
    for i in range(0, len(data), 7):
        chunk = data[i:i + 7]
        width = 17 if len(chunk) == 7 else widths[len(chunk) - 1]
        out.append(str(int.from_bytes(chunk, "big")).zfill(width))
    return "".join(out)


def tested_label(demo_cose_path: str, lab_key_path: str, serial: int) -> str:
    """The demonstration label's claims without the mark and with another
    serial (one serial, one label), signed with the lab key: the label's
    digits, as a label URL carries them."""
    with open(demo_cose_path, "rb") as f:
        demo = cbor2.loads(f.read())
    protected, _unprotected, payload, _signature = demo.value
    claims = cbor2.loads(payload)
    if claims.pop(SIMULATED_KEY, None) != 1:
        raise ValueError(f"{demo_cose_path} is not a demonstration label")
    claims[1] = serial
    payload = cbor2.dumps(claims, canonical=True)
    with open(lab_key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    signature = key.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    label = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    return digits(label)
