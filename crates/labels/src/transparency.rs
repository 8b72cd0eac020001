//! The transparency log's mathematics: an append-only Merkle tree hashed as
//! RFC 9162 §2.1 hashes it, signed tree heads, and inclusion and consistency
//! proofs — building them from leaf hashes and checking them offline.
//!
//! - leaf hash = SHA-256(0x00 ‖ entry), where the entry is a label's exact
//!   COSE_Sign1 bytes;
//! - node hash = SHA-256(0x01 ‖ left ‖ right);
//! - the root of an empty tree is SHA-256 of the empty string.
//!
//! Storage lives elsewhere (the registry); everything here is pure, so a
//! regulator's verifier needs no database to check a proof.
//!
//! A signed tree head is an Ed25519 signature by the lab key over
//! `"iotmark-tree-head-v1" 0x00 ‖ tree_size (u64 BE) ‖ timestamp_ms (u64 BE) ‖ root_hash`:
//! fixed-width fields, so there is exactly one byte string per head and no
//! parser to attack.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A SHA-256 output.
pub type Hash = [u8; 32];

/// Domain separation for tree-head signatures.
const TREE_HEAD_CONTEXT: &[u8] = b"iotmark-tree-head-v1\0";

/// Most hashes any proof for a tree of up to 2^64 leaves can need.
pub const MAX_PROOF_HASHES: usize = 64;

/// Why a proof or tree head was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    IndexOutOfRange {
        /// The index claimed.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The older tree is larger than the newer one.
    #[error("first tree size {first} is larger than second tree size {second}")]
    SizesOutOfOrder {
        /// Size of the first head.
        first: u64,
        /// Size of the second head.
        second: u64,
    },
    /// The path has the wrong number of hashes for the sizes claimed.
    #[error("proof path has the wrong length ({len} hashes) for the sizes claimed")]
    PathLength {
        /// Hashes in the path.
        len: usize,
    },
    /// Recomputing the root from the proof gives a different root.
    #[error("proof does not lead to the {which} root hash")]
    RootMismatch {
        /// "tree head", "first", or "second".
        which: &'static str,
    },
    /// A hash in the JSON is not 32 bytes of hex.
    #[error("{field} is not a 64-digit hex SHA-256 hash")]
    BadHash {
        /// Where.
        field: &'static str,
    },
    /// The tree-head signature does not verify.
    #[error("tree head of size {size} is not signed by the key with kid {kid}")]
    BadSignature {
        /// Tree size of the head.
        size: u64,
        /// The key id checked against, hex.
        kid: String,
    },
    /// A proof in JSON form names a different key from the one given.
    #[error("proof is for kid {found}, but the certificate given has kid {expected}")]
    KidMismatch {
        /// The kid in the proof.
        found: String,
        /// The kid of the certificate.
        expected: String,
    },
    /// The leaf hash in a proof does not match the label it names.
    #[error("leaf_hash does not match SHA-256(0x00 ‖ label)")]
    LeafMismatch,
}

/// SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH(D[n]) over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let (left, right) = leaves.split_at(split(n));
            node_hash(&root(left), &root(right))
        }
    }
}

/// PATH(m, D[n]): the audit path for leaf `index`. Empty when out of range.
pub fn inclusion_path(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if index >= n || n < 2 {
        return Vec::new();
    }
    let k = split(n);
    let (left, right) = leaves.split_at(k);
    let mut path;
    if index < k {
        path = inclusion_path(index, left);
        path.push(root(right));
    } else {
        path = inclusion_path(index - k, right);
        path.push(root(left));
    }
    path
}

/// PROOF(m, D[n]): the consistency proof from the first `m` leaves to all of them.
pub fn consistency_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if m == 0 || m >= leaves.len() {
        return Vec::new();
    }
    subproof(m, leaves, true)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![root(leaves)]
        };
    }
    let k = split(n);
    let (left, right) = leaves.split_at(k);
    let mut path;
    if m <= k {
        path = subproof(m, left, complete);
        path.push(root(right));
    } else {
        path = subproof(m - k, right, false);
        path.push(root(left));
    }
    path
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is at `index` in the tree of `size`
/// leaves with root `root_hash`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root_hash: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    if path.len() > MAX_PROOF_HASHES {
        return Err(ProofError::PathLength { len: path.len() });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return Err(ProofError::PathLength { len: path.len() });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::PathLength { len: path.len() });
    }
    if &r != root_hash {
        return Err(ProofError::RootMismatch { which: "tree head" });
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: checks that the tree of `first` leaves with root
/// `first_root` is a prefix of the tree of `second` leaves with root `second_root`.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if path.len() > MAX_PROOF_HASHES {
        return Err(ProofError::PathLength { len: path.len() });
    }
    if first == second {
        if !path.is_empty() {
            return Err(ProofError::PathLength { len: path.len() });
        }
        if first_root != second_root {
            return Err(ProofError::RootMismatch { which: "second" });
        }
        return Ok(());
    }
    if first == 0 {
        // Every tree extends the empty tree.
        return if path.is_empty() {
            Ok(())
        } else {
            Err(ProofError::PathLength { len: path.len() })
        };
    }
    let mut hashes: Vec<Hash> = Vec::with_capacity(path.len() + 1);
    if first.is_power_of_two() {
        hashes.push(*first_root);
    }
    hashes.extend_from_slice(path);
    let Some((start, rest)) = hashes.split_first() else {
        return Err(ProofError::PathLength { len: 0 });
    };
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*start, *start);
    for c in rest {
        if s == 0 {
            return Err(ProofError::PathLength { len: path.len() });
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::PathLength { len: path.len() });
    }
    if &fr != first_root {
        return Err(ProofError::RootMismatch { which: "first" });
    }
    if &sr != second_root {
        return Err(ProofError::RootMismatch { which: "second" });
    }
    Ok(())
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest
/// first. Appending is O(log n) and the root is their right-to-left fold, so a
/// registry never reloads every leaf just to sign a new head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (height, subtree root), heights strictly decreasing.
    nodes: Vec<(u8, Hash)>,
}

impl Frontier {
    /// Rebuilds the frontier from every leaf hash.
    pub fn from_leaves<'a>(leaves: impl IntoIterator<Item = &'a Hash>) -> Self {
        let mut f = Self::default();
        for leaf in leaves {
            f.push(*leaf);
        }
        f
    }

    /// Rebuilds a stored frontier; `None` unless the node heights are exactly
    /// the binary decomposition of `size` (largest first).
    pub fn from_parts(size: u64, nodes: Vec<(u8, Hash)>) -> Option<Self> {
        let expected: Vec<u8> = (0..64u8)
            .rev()
            .filter(|h| size & (1u64 << h) != 0)
            .collect();
        let heights: Vec<u8> = nodes.iter().map(|(h, _)| *h).collect();
        (heights == expected).then_some(Self { size, nodes })
    }

    /// The perfect-subtree roots, largest first, with their heights.
    pub fn nodes(&self) -> &[(u8, Hash)] {
        &self.nodes
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.size += 1;
        self.nodes.push((0, leaf));
        while let [.., (hl, l), (hr, r)] = self.nodes[..] {
            if hl != hr {
                break;
            }
            self.nodes.truncate(self.nodes.len() - 2);
            self.nodes.push((hl + 1, node_hash(&l, &r)));
        }
    }

    /// The root hash of the tree so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        match iter.next() {
            None => Sha256::digest([]).into(),
            Some((_, last)) => iter.fold(*last, |acc, (_, left)| node_hash(left, &acc)),
        }
    }
}

/// What a tree head commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    /// Number of leaves.
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch when the head was signed.
    pub timestamp_ms: u64,
    /// The Merkle root.
    pub root_hash: Hash,
}

impl TreeHead {
    /// The exact bytes the lab signs.
    pub fn signing_input(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TREE_HEAD_CONTEXT.len() + 48);
        out.extend_from_slice(TREE_HEAD_CONTEXT);
        out.extend_from_slice(&self.tree_size.to_be_bytes());
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        out.extend_from_slice(&self.root_hash);
        out
    }

    pub(crate) fn sign(self, key: &SigningKey, kid: [u8; 8]) -> SignedTreeHead {
        let signature = key.sign(&self.signing_input()).to_bytes();
        SignedTreeHead {
            tree_size: self.tree_size,
            timestamp_ms: self.timestamp_ms,
            root_hash: hex::encode(self.root_hash),
            kid: hex::encode(kid),
            signature: hex::encode(signature),
        }
    }
}

/// A tree head signed by the lab, in the JSON form proofs carry
/// (`schemas/log-proof.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// Number of leaves.
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Merkle root, hex.
    pub root_hash: String,
    /// Key id of the lab certificate whose key signed it, hex.
    pub kid: String,
    /// Ed25519 signature over [`TreeHead::signing_input`], hex.
    pub signature: String,
}

fn parse_hash(field: &'static str, text: &str) -> Result<Hash, ProofError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| ProofError::BadHash { field })?;
    Ok(out)
}

impl SignedTreeHead {
    /// The head's fields as bytes.
    pub fn head(&self) -> Result<TreeHead, ProofError> {
        Ok(TreeHead {
            tree_size: self.tree_size,
            timestamp_ms: self.timestamp_ms,
            root_hash: parse_hash("root_hash", &self.root_hash)?,
        })
    }

    /// Checks the signature with the lab's public key.
    pub fn verify(&self, key: &VerifyingKey) -> Result<TreeHead, ProofError> {
        let head = self.head()?;
        let bad = || ProofError::BadSignature {
            size: self.tree_size,
            kid: self.kid.clone(),
        };
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut sig).map_err(|_| bad())?;
        key.verify_strict(&head.signing_input(), &Signature::from_bytes(&sig))
            .map_err(|_| bad())?;
        Ok(head)
    }
}

/// A proof as `iotmark log inclusion` / `log consistency` write it and
/// `iotmark log verify` reads it (`schemas/log-proof.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LogProof {
    /// A label is in the log under a signed head.
    Inclusion {
        /// The label's serial (informational).
        serial: u64,
        /// Position of the label in the log, from 0.
        leaf_index: u64,
        /// The label's COSE_Sign1 bytes, hex (the log entry).
        label: String,
        /// SHA-256(0x00 ‖ label), hex.
        leaf_hash: String,
        /// The head the proof leads to.
        tree_head: SignedTreeHead,
        /// Sibling hashes from the leaf up, hex.
        path: Vec<String>,
    },
    /// An older head's tree is a prefix of a newer head's tree.
    Consistency {
        /// The older head.
        first: SignedTreeHead,
        /// The newer head.
        second: SignedTreeHead,
        /// The RFC 9162 consistency path, hex.
        path: Vec<String>,
    },
}

/// What a verified proof established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofSummary {
    /// "inclusion" or "consistency".
    pub kind: &'static str,
    /// Human-readable conclusion.
    pub statement: String,
}

fn parse_path(path: &[String]) -> Result<Vec<Hash>, ProofError> {
    if path.len() > MAX_PROOF_HASHES {
        return Err(ProofError::PathLength { len: path.len() });
    }
    path.iter().map(|h| parse_hash("path", h)).collect()
}

impl LogProof {
    /// Checks the proof and its heads' signatures against the lab's key.
    pub fn verify(&self, key: &VerifyingKey, kid: [u8; 8]) -> Result<ProofSummary, ProofError> {
        let kid_hex = hex::encode(kid);
        let check_kid = |h: &SignedTreeHead| {
            if h.kid.eq_ignore_ascii_case(&kid_hex) {
                Ok(())
            } else {
                Err(ProofError::KidMismatch {
                    found: h.kid.clone(),
                    expected: kid_hex.clone(),
                })
            }
        };
        match self {
            LogProof::Inclusion {
                serial,
                leaf_index,
                label,
                leaf_hash: claimed,
                tree_head,
                path,
            } => {
                check_kid(tree_head)?;
                let head = tree_head.verify(key)?;
                let entry = hex::decode(label).map_err(|_| ProofError::LeafMismatch)?;
                let leaf = leaf_hash(&entry);
                if parse_hash("leaf_hash", claimed)? != leaf {
                    return Err(ProofError::LeafMismatch);
                }
                verify_inclusion(
                    *leaf_index,
                    head.tree_size,
                    &leaf,
                    &parse_path(path)?,
                    &head.root_hash,
                )?;
                Ok(ProofSummary {
                    kind: "inclusion",
                    statement: format!(
                        "label {serial} is leaf {leaf_index} of the log under the signed head of size {} (root {})",
                        head.tree_size, tree_head.root_hash
                    ),
                })
            }
            LogProof::Consistency {
                first,
                second,
                path,
            } => {
                check_kid(first)?;
                check_kid(second)?;
                let a = first.verify(key)?;
                let b = second.verify(key)?;
                verify_consistency(
                    a.tree_size,
                    b.tree_size,
                    &a.root_hash,
                    &b.root_hash,
                    &parse_path(path)?,
                )?;
                Ok(ProofSummary {
                    kind: "consistency",
                    statement: format!(
                        "the log of size {} is a prefix of the log of size {}: nothing was removed or changed",
                        a.tree_size, b.tree_size
                    ),
                })
            }
        }
    }
}

/// Hex-encodes a path for [`LogProof`].
pub fn path_to_hex(path: &[Hash]) -> Vec<String> {
    path.iter().map(hex::encode).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let l = leaves(1);
        assert_eq!(root(&l), l[0]);
        verify_inclusion(0, 1, &l[0], &[], &l[0]).unwrap();
    }

    #[test]
    fn frontier_matches_recursive_root() {
        let all = leaves(70);
        let mut f = Frontier::default();
        assert_eq!(f.root(), root(&[]));
        for (i, l) in all.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.root(), root(&all[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn every_inclusion_and_consistency_proof_verifies_and_tampering_fails() {
        let all = leaves(33);
        for n in 1..=all.len() {
            let tree = &all[..n];
            let r = root(tree);
            for i in 0..n {
                let path = inclusion_path(i, tree);
                verify_inclusion(i as u64, n as u64, &tree[i], &path, &r).unwrap();
                if n > 1 {
                    let other = (i + 1) % n;
                    assert!(verify_inclusion(other as u64, n as u64, &tree[i], &path, &r).is_err());
                    assert!(verify_inclusion(i as u64, n as u64, &tree[other], &path, &r).is_err());
                }
            }
            for m in 0..=n {
                let path = consistency_path(m, tree);
                let rm = root(&tree[..m]);
                verify_consistency(m as u64, n as u64, &rm, &r, &path)
                    .unwrap_or_else(|e| panic!("{m} -> {n}: {e}"));
                if m > 0 && m < n {
                    let wrong = leaf_hash(b"not in the log");
                    assert!(verify_consistency(m as u64, n as u64, &wrong, &r, &path).is_err());
                    assert!(verify_consistency(m as u64, n as u64, &rm, &wrong, &path).is_err());
                    if !path.is_empty() {
                        let mut bad = path.clone();
                        bad[0][0] ^= 1;
                        assert!(verify_consistency(m as u64, n as u64, &rm, &r, &bad).is_err());
                    }
                }
            }
        }
    }
}
