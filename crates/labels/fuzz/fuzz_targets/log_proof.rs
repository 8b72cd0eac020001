//! Transparency-log proofs: never panic. Each input is read as a proof file
//! (JSON) and checked against a fixed lab key, and also as raw numbers and
//! hashes fed straight to the inclusion and consistency checks, so the
//! arithmetic sees sizes and indices no well-formed proof file would carry.
#![no_main]

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use iotmark_labels::transparency::{self, Hash, LogProof};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_bytes(&[7; 32]))
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (o, i) in b.iter_mut().zip(at..) {
        *o = data.get(i).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = serde_json::from_slice::<LogProof>(data) {
        let _ = proof.verify(&key().verifying_key(), [0; 8]);
    }
    // Raw form: two u64s, then 32-byte hashes (leaf/first root, root, path...).
    let (a, b) = (u64_at(data, 0), u64_at(data, 8));
    let hashes: Vec<Hash> = data
        .get(16..)
        .unwrap_or_default()
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect();
    let (x, y) = match hashes.as_slice() {
        [x, y, ..] => (*x, *y),
        _ => ([0; 32], [1; 32]),
    };
    let path = hashes.get(2..).unwrap_or_default();
    let _ = transparency::verify_inclusion(a, b, &x, path, &y);
    let _ = transparency::verify_consistency(a, b, &x, &y, path);
    // Small trees built from the input must prove their own leaves.
    let n = (a % 40) as usize;
    if n > 0 {
        let leaves: Vec<Hash> = (0..n as u64)
            .map(|i| transparency::leaf_hash(&i.to_be_bytes()))
            .collect();
        let root = transparency::root(&leaves);
        let i = (b % n as u64) as usize;
        let p = transparency::inclusion_path(i, &leaves);
        transparency::verify_inclusion(i as u64, n as u64, &leaves[i], &p, &root).unwrap();
        let m = (b % (n as u64 + 1)) as usize;
        let c = transparency::consistency_path(m, &leaves);
        transparency::verify_consistency(
            m as u64,
            n as u64,
            &transparency::root(&leaves[..m]),
            &root,
            &c,
        )
        .unwrap();
    }
});
