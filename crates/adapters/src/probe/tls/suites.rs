//! Cipher suites and protocol versions the TLS prober offers, by IANA code.

use std::fmt;

use serde::Serialize;

/// A TLS protocol version as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TlsVersion(pub u16);

impl TlsVersion {
    pub const SSL3: TlsVersion = TlsVersion(0x0300);
    pub const TLS10: TlsVersion = TlsVersion(0x0301);
    pub const TLS11: TlsVersion = TlsVersion(0x0302);
    pub const TLS12: TlsVersion = TlsVersion(0x0303);
    pub const TLS13: TlsVersion = TlsVersion(0x0304);

    /// Versions no device should accept any more (RFC 8996).
    pub fn is_deprecated(self) -> bool {
        self < TlsVersion::TLS12
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TlsVersion::SSL3 => f.write_str("SSL 3.0"),
            TlsVersion::TLS10 => f.write_str("TLS 1.0"),
            TlsVersion::TLS11 => f.write_str("TLS 1.1"),
            TlsVersion::TLS12 => f.write_str("TLS 1.2"),
            TlsVersion::TLS13 => f.write_str("TLS 1.3"),
            TlsVersion(other) => write!(f, "version 0x{other:04x}"),
        }
    }
}

impl Serialize for TlsVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A cipher suite by its IANA code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// The IANA name, or the hex code for a suite not in our table.
    pub fn name(self) -> String {
        NAMES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| (*name).to_string())
            .unwrap_or_else(|| format!("0x{:04X}", self.0))
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for CipherSuite {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A family of weak suites offered on its own: a server that picks one of
/// them accepts that weakness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeakSuiteSet {
    /// RC4 stream cipher (RFC 7465 forbids it).
    Rc4,
    /// Triple DES (64-bit block, Sweet32).
    TripleDes,
    /// Single DES.
    Des,
    /// No encryption at all.
    Null,
    /// 40/56-bit export-grade suites.
    Export,
    /// Anonymous (unauthenticated) key exchange.
    Anonymous,
    /// AES-CBC with HMAC-SHA1: not broken, but legacy (Lucky 13, no AEAD).
    CbcSha1,
}

impl WeakSuiteSet {
    pub const ALL: [WeakSuiteSet; 7] = [
        WeakSuiteSet::Rc4,
        WeakSuiteSet::TripleDes,
        WeakSuiteSet::Des,
        WeakSuiteSet::Null,
        WeakSuiteSet::Export,
        WeakSuiteSet::Anonymous,
        WeakSuiteSet::CbcSha1,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WeakSuiteSet::Rc4 => "RC4",
            WeakSuiteSet::TripleDes => "3DES",
            WeakSuiteSet::Des => "DES",
            WeakSuiteSet::Null => "NULL",
            WeakSuiteSet::Export => "EXPORT",
            WeakSuiteSet::Anonymous => "anonymous",
            WeakSuiteSet::CbcSha1 => "CBC-SHA1",
        }
    }

    /// Broken outright, as opposed to merely legacy (CBC-SHA1).
    pub fn is_broken(self) -> bool {
        self != WeakSuiteSet::CbcSha1
    }

    pub fn suites(self) -> &'static [u16] {
        match self {
            WeakSuiteSet::Rc4 => &[0x0005, 0x0004, 0xC011, 0xC007, 0x0018],
            WeakSuiteSet::TripleDes => &[0x000A, 0xC012, 0x0016, 0xC008, 0x0013],
            WeakSuiteSet::Des => &[0x0009, 0x0015, 0x0012],
            WeakSuiteSet::Null => &[0x0001, 0x0002, 0x003B, 0xC010, 0xC006],
            WeakSuiteSet::Export => &[0x0003, 0x0006, 0x0008, 0x0014, 0x0011],
            WeakSuiteSet::Anonymous => &[0x0034, 0x003A, 0xC018, 0xC019, 0x001B],
            WeakSuiteSet::CbcSha1 => &[
                0xC013, 0xC014, 0xC009, 0xC00A, 0x002F, 0x0035, 0x0033, 0x0039,
            ],
        }
    }
}

/// Suites a current server chooses among, offered with everything else
/// when we only ask which protocol versions it accepts.
pub const MODERN: &[u16] = &[
    0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0x009C, 0x009D, 0x003C, 0x003D, 0xC027, 0xC023,
];

/// Every suite we know: modern first, then each weak set. Offering all of
/// them asks only "will you speak this version at all?".
pub fn every_suite() -> Vec<u16> {
    let mut all: Vec<u16> = MODERN.to_vec();
    for set in WeakSuiteSet::ALL {
        all.extend_from_slice(set.suites());
    }
    all
}

const NAMES: &[(u16, &str)] = &[
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256"),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
];
