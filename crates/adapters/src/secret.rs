//! Secrets (passwords from profiles, credentials that succeed) that must never
//! appear in logs, evidence or reports.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A secret string. `Debug` and `Display` print only its mask; the value is
/// reachable through [`Secret::expose`], whose name makes every use visible.
#[derive(Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for sending it to the device or analysing it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Enough to tell two secrets apart and to match a record against a known
    /// value, never enough to recover it: length and a short SHA-256 prefix.
    pub fn mask(&self) -> String {
        mask(&self.0)
    }
}

/// Mask any string as [`Secret::mask`] does.
pub fn mask(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    format!(
        "<secret {} chars sha256:{}>",
        value.chars().count(),
        hex::encode(&digest[..4])
    )
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

/// Serialising a secret writes its mask, so a secret cannot leak into a report
/// by being part of a serialised structure.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.mask())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("hunter2-very-secret");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert!(!serde_json::to_string(&s)
            .unwrap_or_default()
            .contains("hunter2"));
        assert_ne!(Secret::new("a").mask(), Secret::new("b").mask());
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
