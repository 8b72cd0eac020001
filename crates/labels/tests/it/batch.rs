//! Why `verify_many` checks signatures one by one: Ed25519 batch verification
//! accepts signatures that `verify_strict` refuses.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, SigningKey};
use sha2::{Digest, Sha512};

/// A key holder can put a small-order point into R before hashing: s·B − h·A
/// then differs from R by that point. `verify_strict` refuses every such
/// signature; batch verification's random weights cancel the point whenever
/// the weight is a multiple of 8, so it accepts about one in eight.
#[test]
fn batch_verification_accepts_signatures_verify_strict_refuses() {
    let key = SigningKey::from_bytes(&[42; 32]);
    let a = key.to_scalar();
    let public = key.verifying_key();
    let mut accepted_by_batch = 0;
    for i in 0u64..64 {
        let message = i.to_be_bytes();
        let r = Scalar::from(1_000_003 * (i + 1));
        let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
        let hash: [u8; 64] = Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(public.as_bytes())
            .chain_update(message)
            .finalize()
            .into();
        let h = Scalar::from_bytes_mod_order_wide(&hash);
        let s = r + h * a;
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(big_r.as_bytes());
        bytes[32..].copy_from_slice(s.as_bytes());
        let signature = Signature::from_bytes(&bytes);
        assert!(public.verify_strict(&message, &signature).is_err());
        if ed25519_dalek::verify_batch(&[&message[..]], &[signature], &[public]).is_ok() {
            accepted_by_batch += 1;
        }
    }
    println!(
        "batch verification accepted {accepted_by_batch} of 64 signatures verify_strict refused"
    );
    assert!(
        accepted_by_batch > 0 && accepted_by_batch < 32,
        "{accepted_by_batch}"
    );
}
