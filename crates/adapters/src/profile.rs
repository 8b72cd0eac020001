//! The device profile: a manufacturer's declaration (identity, ICS, conditions,
//! IXIT, units, operator hooks), parsed once into typed values.
//!
//! Loading runs the JSON Schema first (so every structural problem is reported
//! with its JSON path), then the checks a schema cannot express (real dates,
//! unique names, references between tables). After that the rest of the program
//! holds only well-formed values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The JSON Schema every profile is checked against, embedded so a profile can be
/// validated without the source tree.
pub const PROFILE_SCHEMA: &str = include_str!("../../../schemas/device-profile.schema.json");

/// Profiles larger than this are refused before parsing.
const MAX_PROFILE_BYTES: u64 = 8 * 1024 * 1024;

/// One problem found in a profile, located by JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileIssue {
    /// JSON pointer into the profile (`/ixit/interfaces/0/port`), `/` for the root.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ProfileIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    #[error("cannot read profile {file}: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("profile {file} is {size} bytes; the limit is {limit}")]
    TooLarge {
        file: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("profile {file} is not JSON: {message} (line {line}, column {column})")]
    Syntax {
        file: PathBuf,
        message: String,
        line: usize,
        column: usize,
    },
    #[error("profile {file} is invalid:\n{}", list(.issues))]
    Invalid {
        file: PathBuf,
        issues: Vec<ProfileIssue>,
    },
}

fn list(issues: &[ProfileIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("  - {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ProfileError {
    /// Every located problem (empty for read and syntax errors).
    pub fn issues(&self) -> &[ProfileIssue] {
        match self {
            ProfileError::Invalid { issues, .. } => issues,
            _ => &[],
        }
    }
}

/// An EN 303 645 provision identifier such as `5.1-1` or `4-1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProvisionId(String);

impl ProvisionId {
    pub fn parse(s: &str) -> Option<Self> {
        let re_ok = {
            let (clause, num) = s.split_once('-')?;
            let clause_ok = clause == "4"
                || clause == "6"
                || clause
                    .strip_prefix("5.")
                    .and_then(|n| n.parse::<u8>().ok())
                    .is_some_and(|n| (1..=13).contains(&n));
            clause_ok
                && !num.is_empty()
                && num.len() <= 2
                && num.bytes().all(|b| b.is_ascii_digit())
        };
        re_ok.then(|| ProvisionId(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProvisionId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ProvisionId::parse(&s).ok_or_else(|| format!("not a provision id: {s:?}"))
    }
}
impl From<ProvisionId> for String {
    fn from(p: ProvisionId) -> String {
        p.0
    }
}
impl fmt::Display for ProvisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A loaded, checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The file it came from (for messages).
    pub source: PathBuf,
    /// SHA-256 of the profile file's bytes, hex.
    pub sha256: String,
    pub product: Product,
    pub conditions: Conditions,
    pub ics: BTreeMap<ProvisionId, IcsEntry>,
    pub ixit: Ixit,
    pub units: Vec<Unit>,
    pub operator_hooks: OperatorHooks,
    /// The IoT Security Foundation compliance class the manufacturer assessed
    /// the product at, if it declares one.
    pub risk_class: Option<RiskClass>,
    /// Who signs the manufacturer's statement of compliance, where and when,
    /// and the contacts the CRA user information needs.
    pub declaration: Option<Declaration>,
}

/// The manufacturer's statement data (PSTI Schedule 4, CRA Annex II) that the
/// rest of the profile does not already hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    pub signatory: Signatory,
    pub place_of_issue: String,
    #[serde(default, with = "opt_date_format")]
    pub date_of_issue: Option<time::Date>,
    /// Who prepared the statement, by or for the manufacturer.
    #[serde(default)]
    pub prepared_by: Option<String>,
    #[serde(default)]
    pub other_manufacturers: Vec<Party>,
    #[serde(default)]
    pub authorised_representatives: Vec<Party>,
    /// Single point of contact for vulnerability reports (mailto: or https:).
    #[serde(default)]
    pub security_contact: Option<String>,
    /// General contact for users (an e-mail address, phone or web form).
    #[serde(default)]
    pub manufacturer_contact: Option<String>,
    /// What security support users get, in a sentence.
    #[serde(default)]
    pub support_type: Option<String>,
    #[serde(default)]
    pub sbom_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    pub name: String,
    pub function: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    pub address: String,
}

mod opt_date_format {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::date_format::serialize(d, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<time::Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                super::parse_date(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("not a calendar date {text:?}"))
                })
            })
            .transpose()
    }
}

/// An IoT Security Foundation compliance class, 0–4: the confidentiality,
/// integrity and availability levels a product's risk assessment calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct RiskClass(u8);

/// A security level of the IoTSF classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecurityLevel {
    Basic,
    Medium,
    High,
}

impl RiskClass {
    /// The lowest class the IoTSF says EN 303 645 and the UK Code of Practice demand.
    pub const MINIMUM_FOR_EN303645: RiskClass = RiskClass(1);

    pub fn new(class: u8) -> Option<RiskClass> {
        (class <= 4).then_some(RiskClass(class))
    }

    pub fn number(self) -> u8 {
        self.0
    }

    /// (confidentiality, integrity, availability).
    pub fn levels(self) -> (SecurityLevel, SecurityLevel, SecurityLevel) {
        use SecurityLevel::*;
        match self.0 {
            0 => (Basic, Basic, Basic),
            1 => (Basic, Medium, Medium),
            2 => (Medium, Medium, High),
            3 => (High, Medium, High),
            _ => (High, High, High),
        }
    }
}

impl TryFrom<u8> for RiskClass {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        RiskClass::new(n).ok_or_else(|| format!("compliance class {n} is not 0-4"))
    }
}
impl From<RiskClass> for u8 {
    fn from(c: RiskClass) -> u8 {
        c.0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub manufacturer: String,
    pub manufacturer_address: String,
    pub model: String,
    #[serde(rename = "type")]
    pub product_type: String,
    #[serde(default)]
    pub batch: Option<String>,
    #[serde(default)]
    pub gtin: Option<String>,
    pub firmware: String,
}

/// The EN 303 645 V2.1.1 conditions (1)–(13), by number.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    pub passwords_used: bool,
    pub preinstalled_passwords: bool,
    #[serde(default)]
    pub software_not_updateable: bool,
    pub constrained: bool,
    #[serde(default)]
    pub telemetry: bool,
    #[serde(default)]
    pub consent_based_processing: bool,
    pub user_authentication: bool,
    #[serde(default)]
    pub automatic_updates_or_notifications: bool,
    #[serde(default)]
    pub unique_hardcoded_identity: bool,
    #[serde(default)]
    pub network_updates: bool,
    pub update_mechanism: bool,
    #[serde(default)]
    pub debug_interface_physically_accessible: bool,
}

impl Conditions {
    /// Does condition `n` (1–13) hold? Unknown numbers never hold.
    pub fn holds(&self, n: u8) -> bool {
        match n {
            1 => self.passwords_used,
            2 => self.preinstalled_passwords,
            3 => self.software_not_updateable,
            4 => self.constrained,
            5 => !self.constrained,
            6 => self.telemetry,
            7 => self.consent_based_processing,
            8 => self.user_authentication,
            9 => self.automatic_updates_or_notifications,
            10 => self.unique_hardcoded_identity,
            11 => self.network_updates,
            12 => self.update_mechanism,
            13 => self.debug_interface_physically_accessible,
            _ => false,
        }
    }

    /// A short name for condition `n`, for reasons in reports.
    pub fn describe(n: u8) -> &'static str {
        match n {
            1 => "passwords are used",
            2 => "pre-installed passwords are used",
            3 => "software components are not updateable",
            4 => "the device is constrained",
            5 => "the device is not constrained",
            6 => "telemetry data is collected",
            7 => "personal data is processed on the basis of consent",
            8 => "the device allows user authentication",
            9 => "automatic updates or update notifications are supported",
            10 => "a hard-coded unique per-device identity is used for security",
            11 => "updates are delivered over a network interface",
            12 => "an update mechanism is implemented",
            13 => "a debug interface is physically accessible",
            _ => "unknown condition",
        }
    }
}

/// ICS support column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Support {
    #[serde(rename = "Y")]
    Yes,
    #[serde(rename = "N")]
    No,
    #[serde(rename = "N/A")]
    NotApplicable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcsEntry {
    pub support: Support,
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ixit {
    pub auth_mechanisms: Vec<AuthMechanism>,
    pub user_info: UserInfo,
    pub interfaces: Vec<Interface>,
    /// IXIT 7-UpdMech.
    #[serde(default)]
    pub update_mechanisms: Vec<UpdateMechanism>,
    /// IXIT 10-SecParam.
    #[serde(default)]
    pub security_parameters: Vec<SecurityParameter>,
    /// IXIT 11-ComMech.
    #[serde(default)]
    pub communications: Vec<CommunicationMechanism>,
    /// IXIT 15-Intf, physical part.
    #[serde(default)]
    pub physical_interfaces: Vec<PhysicalInterface>,
    /// IXIT 20-SecBoot.
    #[serde(default)]
    pub secure_boot: Option<SecureBoot>,
    /// IXIT 25-DelFunc.
    #[serde(default)]
    pub deletion_functions: Vec<DeletionFunction>,
    /// IXIT 28-ExtAPI and 13-SoftServ: the device's own API endpoints.
    #[serde(default)]
    pub api_endpoints: Vec<crate::endpoints::ApiEndpoint>,
    /// IXIT 22-ExtSens: what the product can sense.
    #[serde(default)]
    pub sensors: Vec<crate::endpoints::Sensor>,
    /// IXIT 21-PersData: personal data processed, why and by whom.
    #[serde(default)]
    pub personal_data: Vec<crate::endpoints::PersonalData>,
    /// IXIT 23-ResMech: what keeps working without the upstream network.
    #[serde(default)]
    pub resilience: Option<crate::endpoints::Resilience>,
    /// IXIT 26-UserDec: the guided secure set-up and its checks.
    #[serde(default)]
    pub secure_setup: Option<crate::endpoints::SecureSetup>,
    /// IXIT 24-TelData.
    #[serde(default)]
    pub telemetry: Option<crate::endpoints::Telemetry>,
    /// The device's connection to its cloud service.
    #[serde(default)]
    pub cloud_link: Option<crate::endpoints::CloudLink>,
}

/// How a mechanism resists repeated guessing (IXIT 1-AuthMech).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BruteForceMethod {
    Lockout,
    RateLimit,
    Backoff,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BruteForceLimit {
    pub method: BruteForceMethod,
    /// Failures in a row after which the mechanism locks or slows down.
    #[serde(default)]
    pub max_consecutive_failures: Option<u32>,
}

/// Transport protection of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protection {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "tls-1.0")]
    Tls10,
    #[serde(rename = "tls-1.1")]
    Tls11,
    #[serde(rename = "tls-1.2")]
    Tls12,
    #[serde(rename = "tls-1.3")]
    Tls13,
    #[serde(rename = "dtls-1.0")]
    Dtls10,
    #[serde(rename = "dtls-1.2")]
    Dtls12,
    #[serde(rename = "dtls-1.3")]
    Dtls13,
    #[serde(rename = "ssh-2")]
    Ssh2,
    #[serde(rename = "ipsec")]
    Ipsec,
    #[serde(rename = "oscore")]
    Oscore,
    #[serde(rename = "other")]
    Other,
}

impl Protection {
    /// Is this a current secure protocol version? `None` for `other`, which
    /// needs an assessor's judgement.
    pub fn is_current(self) -> Option<bool> {
        use Protection::*;
        match self {
            Tls12 | Tls13 | Dtls12 | Dtls13 | Ssh2 | Ipsec | Oscore => Some(true),
            None | Tls10 | Tls11 | Dtls10 => Some(false),
            Other => Option::None,
        }
    }
}

/// What a communication mechanism carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payload {
    Credentials,
    CriticalSecurityParameters,
    PersonalData,
    SensitivePersonalData,
    Telemetry,
    Configuration,
    Software,
    Other,
}

/// IXIT 11-ComMech: one way the device talks to something else.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunicationMechanism {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub peer: Option<String>,
    pub protection: Protection,
    #[serde(default)]
    pub carries: Vec<Payload>,
    /// Reachable from outside the local network (true unless declared otherwise).
    #[serde(default = "yes")]
    pub remote: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateDelivery {
    Network,
    Local,
}

/// Where an update's signature is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateVerifier {
    Device,
    CompanionApp,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlgorithm {
    Ed25519,
    Ed448,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    RsaPss2048Sha256,
    RsaPss3072Sha256,
    #[serde(rename = "rsa-pkcs1v15-2048-sha256")]
    RsaPkcs1v15With2048Sha256,
    #[serde(rename = "rsa-pkcs1v15-1024-sha1")]
    RsaPkcs1v15With1024Sha1,
    HmacSha256,
    Sha256Checksum,
    Md5Checksum,
    Crc32,
}

impl SignatureAlgorithm {
    /// Asymmetric signatures with current key sizes and hashes. Checksums and
    /// a MAC under a key every unit shares prove nothing about the source.
    pub fn is_current_practice(self) -> bool {
        use SignatureAlgorithm::*;
        matches!(
            self,
            Ed25519
                | Ed448
                | EcdsaP256Sha256
                | EcdsaP384Sha384
                | RsaPss2048Sha256
                | RsaPss3072Sha256
                | RsaPkcs1v15With2048Sha256
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateControl {
    Enable,
    Disable,
    Postpone,
}

/// IXIT 7-UpdMech: one way software updates reach the device.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMechanism {
    pub id: String,
    pub description: String,
    pub delivery: UpdateDelivery,
    pub verified_by: UpdateVerifier,
    #[serde(default)]
    pub signature_algorithm: Option<SignatureAlgorithm>,
    /// Transport protection when updates are fetched over a network.
    #[serde(default)]
    pub channel: Option<Protection>,
    #[serde(default)]
    pub automatic: bool,
    #[serde(default)]
    pub notifications: bool,
    #[serde(default)]
    pub enabled_by_default: Option<bool>,
    #[serde(default)]
    pub user_controls: Vec<UpdateControl>,
    #[serde(default)]
    pub checks_after_start: bool,
    #[serde(default)]
    pub check_interval_hours: Option<u32>,
    /// A correctly signed image the manufacturer supplies for testing.
    #[serde(default)]
    pub test_image: Option<crate::endpoints::TestImage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterPurpose {
    UpdateIntegrity,
    ServiceCommunication,
    DeviceIdentity,
    UserAuthentication,
    DataEncryption,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    SecureElement,
    Tee,
    Encrypted,
    Plain,
    NotPersistent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterGeneration {
    Csprng,
    KeyedHash,
    Derived,
    Fixed,
    Counter,
    Other,
}

/// IXIT 10-SecParam: a security parameter (key, credential, identity).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityParameter {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Critical: its disclosure or change would break the device's security.
    pub critical: bool,
    #[serde(default)]
    pub purposes: Vec<ParameterPurpose>,
    pub storage: Storage,
    #[serde(default)]
    pub hard_coded: bool,
    pub unique_per_device: bool,
    pub generation: ParameterGeneration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhysicalKind {
    Uart,
    Jtag,
    Swd,
    Usb,
    SdCard,
    Button,
    Other,
}

/// IXIT 15-Intf, physical part.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicalInterface {
    pub name: String,
    pub kind: PhysicalKind,
    pub physically_accessible: bool,
    pub debug: bool,
    pub disabled_in_software: bool,
    #[serde(default)]
    pub description: Option<String>,
}

/// IXIT 20-SecBoot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecureBoot {
    pub verifies_software: bool,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeletionScope {
    Device,
    AssociatedServices,
}

/// IXIT 25-DelFunc.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionFunction {
    pub id: String,
    pub description: String,
    pub scope: DeletionScope,
    /// The API endpoint (id in `api_endpoints`) that performs it.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// What the user does to use it, as the published deletion
    /// instructions name it.
    #[serde(default)]
    pub user_action: Option<String>,
}

/// Where a user can read the model designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignationPlace {
    Label,
    DeviceUi,
    CompanionApp,
    Packaging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthFactor {
    Password,
    Pin,
    Certificate,
    Token,
    Biometric,
    Other,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthMechanism {
    pub id: String,
    pub description: String,
    pub factor: AuthFactor,
    /// Names of [`Interface`]s this mechanism guards.
    pub interfaces: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<PasswordPolicy>,
    #[serde(default)]
    pub brute_force_prevention: Option<String>,
    #[serde(default)]
    pub security_guarantees: Option<String>,
    #[serde(default)]
    pub cryptographic_details: Option<String>,
    /// How the user changes the authentication value.
    #[serde(default)]
    pub change_mechanism: Option<String>,
    /// Structured brute-force limits, read by the conceptual 5.1-5 check.
    #[serde(default)]
    pub brute_force: Option<BruteForceLimit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordKind {
    UniquePerUnit,
    UserDefined,
    Universal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GenerationInput {
    Csprng,
    KeyedHash,
    UserChoice,
    Counter,
    SerialNumber,
    MacAddress,
    ProductName,
    Timestamp,
    DictionaryWords,
    FixedValue,
}

impl GenerationInput {
    /// Inputs that make a generated password predictable by an attacker who
    /// knows the device class (EN 303 645 5.1-2; PSTI Schedule 1 para 1(3)).
    pub fn is_predictable(self) -> bool {
        matches!(
            self,
            GenerationInput::Counter
                | GenerationInput::SerialNumber
                | GenerationInput::MacAddress
                | GenerationInput::ProductName
                | GenerationInput::Timestamp
                | GenerationInput::FixedValue
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    pub kind: PasswordKind,
    pub generation_mechanism: String,
    #[serde(default)]
    pub generation_inputs: Vec<GenerationInput>,
    #[serde(default)]
    pub minimum_length: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportPeriod {
    pub url: String,
    #[serde(with = "date_format")]
    pub end_date: time::Date,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInfo {
    pub manufacturer_website: String,
    pub disclosure_policy_url: String,
    pub support_period: SupportPeriod,
    #[serde(default)]
    pub model_designation_url: Option<String>,
    #[serde(default)]
    pub privacy_notice_url: Option<String>,
    #[serde(default)]
    pub secure_setup_url: Option<String>,
    /// Where the product's sensing capabilities are documented.
    #[serde(default)]
    pub sensors_url: Option<String>,
    /// Where users are told how to delete their personal data.
    #[serde(default)]
    pub deletion_instructions_url: Option<String>,
    #[serde(default)]
    pub model_designation_shown_on: Vec<DesignationPlace>,
}

impl UserInfo {
    /// RFC 9116 location of the manufacturer's security.txt.
    pub fn security_txt_url(&self) -> String {
        let origin = origin_of(&self.manufacturer_website);
        format!("{origin}/.well-known/security.txt")
    }
}

/// `scheme://host[:port]` of a URL (everything before the first `/` after `//`).
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    Telnet,
    Http,
    Https,
    Ssh,
    Mqtt,
    Mqtts,
    Ftp,
    Ftps,
    Rtsp,
    Snmp,
    Tls,
    Other,
}

impl Protocol {
    /// Does the protocol carry what it is given (a password, a community
    /// string) unencrypted? `None` for `other`: the declaration does not say.
    pub fn cleartext(self) -> Option<bool> {
        match self {
            Protocol::Telnet
            | Protocol::Http
            | Protocol::Mqtt
            | Protocol::Ftp
            | Protocol::Rtsp
            | Protocol::Snmp => Some(true),
            Protocol::Https | Protocol::Ssh | Protocol::Mqtts | Protocol::Ftps | Protocol::Tls => {
                Some(false)
            }
            Protocol::Other => None,
        }
    }

    /// The name the profile uses.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Telnet => "telnet",
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Ssh => "ssh",
            Protocol::Mqtt => "mqtt",
            Protocol::Mqtts => "mqtts",
            Protocol::Ftp => "ftp",
            Protocol::Ftps => "ftps",
            Protocol::Rtsp => "rtsp",
            Protocol::Snmp => "snmp",
            Protocol::Tls => "tls",
            Protocol::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LoginMethod {
    TelnetPrompt,
    /// Basic credentials; answered with Digest where the server challenges
    /// only with Digest (`http-basic`).
    HttpBasic {
        path: String,
    },
    /// Digest only (`http-digest`).
    HttpDigest {
        path: String,
    },
    /// MQTT CONNECT with a user name and password (`mqtt-connect`).
    MqttConnect,
    HttpForm {
        path: String,
        username_field: String,
        password_field: String,
    },
    /// SSH password authentication (`ssh-password`).
    SshPassword,
}

impl LoginMethod {
    /// Every login kind, as the profile names it.
    pub const KINDS: &'static [&'static str] = &[
        "telnet-prompt",
        "http-basic",
        "http-digest",
        "http-form",
        "ssh-password",
        "mqtt-connect",
    ];

    /// The login kinds that fit an interface of `protocol` (empty: none
    /// iotmark can sweep).
    pub fn kinds_for(protocol: Protocol) -> &'static [&'static str] {
        match protocol {
            Protocol::Telnet => &["telnet-prompt"],
            Protocol::Http | Protocol::Https => &["http-basic", "http-digest", "http-form"],
            Protocol::Ssh => &["ssh-password"],
            Protocol::Mqtt => &["mqtt-connect"],
            Protocol::Mqtts
            | Protocol::Ftp
            | Protocol::Ftps
            | Protocol::Rtsp
            | Protocol::Snmp
            | Protocol::Tls
            | Protocol::Other => &[],
        }
    }

    /// Does this login kind fit an interface of `protocol`?
    pub fn fits(&self, protocol: Protocol) -> bool {
        Self::kinds_for(protocol).contains(&self.kind())
    }

    /// The kind as the profile names it.
    pub fn kind(&self) -> &'static str {
        match self {
            LoginMethod::TelnetPrompt => "telnet-prompt",
            LoginMethod::HttpBasic { .. } => "http-basic",
            LoginMethod::HttpDigest { .. } => "http-digest",
            LoginMethod::HttpForm { .. } => "http-form",
            LoginMethod::SshPassword => "ssh-password",
            LoginMethod::MqttConnect => "mqtt-connect",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub name: String,
    pub protocol: Protocol,
    pub port: u16,
    pub enabled: bool,
    #[serde(default)]
    pub login: Option<LoginMethod>,
    #[serde(default)]
    pub description: Option<String>,
    /// Can security-relevant configuration be changed through it?
    #[serde(default)]
    pub changes_configuration: Option<bool>,
    /// Why it serves without authentication, when no mechanism guards it.
    #[serde(default)]
    pub unauthenticated_use: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub serial: String,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub initial_password: Option<Secret>,
}

impl Unit {
    /// The MAC address as six bytes, when declared.
    pub fn mac_bytes(&self) -> Option<[u8; 6]> {
        let mac = self.mac.as_deref()?;
        let mut out = [0u8; 6];
        let mut parts = mac.split(':');
        for b in out.iter_mut() {
            *b = u8::from_str_radix(parts.next()?, 16).ok()?;
        }
        parts.next().is_none().then_some(out)
    }
}

/// How a physical action is carried out on a real unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Hook {
    Command {
        command: Vec<String>,
        #[serde(default)]
        timeout_seconds: Option<u64>,
    },
    Prompt {
        prompt: String,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorHooks {
    #[serde(default)]
    pub factory_reset: Option<Hook>,
    #[serde(default)]
    pub power_cycle: Option<Hook>,
    #[serde(default)]
    pub cut_uplink: Option<Hook>,
    #[serde(default)]
    pub restore_uplink: Option<Hook>,
}

/// The profile document as serde sees it, before cross-checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    #[allow(dead_code)]
    profile_version: u32,
    product: Product,
    conditions: Conditions,
    ics: BTreeMap<ProvisionId, IcsEntry>,
    ixit: Ixit,
    #[serde(default)]
    units: Vec<Unit>,
    #[serde(default)]
    operator_hooks: OperatorHooks,
    #[serde(default)]
    risk_class: Option<RiskClass>,
    #[serde(default)]
    declaration: Option<Declaration>,
}

mod date_format {
    use serde::{Deserialize, Deserializer, Serializer};
    const FMT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        let text = d.format(FMT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
        let text = String::deserialize(d)?;
        time::Date::parse(&text, FMT)
            .map_err(|e| serde::de::Error::custom(format!("not a calendar date {text:?}: {e}")))
    }
}

pub use iotmark_text::{format_date, parse_date};

fn schema_validator() -> Result<jsonschema::Validator, String> {
    let schema: serde_json::Value =
        serde_json::from_str(PROFILE_SCHEMA).map_err(|e| format!("embedded schema: {e}"))?;
    jsonschema::validator_for(&schema).map_err(|e| format!("embedded schema: {e}"))
}

impl Profile {
    /// Read, validate and parse a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let file = path.to_path_buf();
        let meta = std::fs::metadata(path).map_err(|source| ProfileError::Read {
            file: file.clone(),
            source,
        })?;
        if meta.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::TooLarge {
                file,
                size: meta.len(),
                limit: MAX_PROFILE_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(|source| ProfileError::Read {
            file: file.clone(),
            source,
        })?;
        Profile::from_bytes(&bytes, path)
    }

    /// Validate and parse profile bytes; `source` names them in messages.
    pub fn from_bytes(bytes: &[u8], source: &Path) -> Result<Profile, ProfileError> {
        let file = source.to_path_buf();
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| ProfileError::Syntax {
                file: file.clone(),
                message: e.to_string(),
                line: e.line(),
                column: e.column(),
            })?;
        let invalid = |issues| ProfileError::Invalid {
            file: file.clone(),
            issues,
        };
        let validator = schema_validator().map_err(|message| {
            invalid(vec![ProfileIssue {
                path: "/".into(),
                message,
            }])
        })?;
        let mut issues: Vec<ProfileIssue> = validator
            .iter_errors(&value)
            .map(|e| ProfileIssue {
                path: pointer_or_root(e.instance_path().to_string()),
                message: e.to_string(),
            })
            .collect();
        if !issues.is_empty() {
            issues.sort_by(|a, b| a.path.cmp(&b.path));
            issues.dedup();
            return Err(invalid(issues));
        }
        let raw: RawProfile = serde_json::from_value(value).map_err(|e| {
            invalid(vec![ProfileIssue {
                path: "/".into(),
                message: e.to_string(),
            }])
        })?;
        let issues = cross_check(&raw);
        if !issues.is_empty() {
            return Err(invalid(issues));
        }
        use sha2::Digest;
        Ok(Profile {
            source: file,
            sha256: hex::encode(sha2::Sha256::digest(bytes)),
            product: raw.product,
            conditions: raw.conditions,
            ics: raw.ics,
            ixit: raw.ixit,
            units: raw.units,
            operator_hooks: raw.operator_hooks,
            risk_class: raw.risk_class,
            declaration: raw.declaration,
        })
    }

    /// The interface with this name.
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.ixit.interfaces.iter().find(|i| i.name == name)
    }

    /// The first password mechanism, which names the login user for sweeps.
    pub fn password_mechanisms(&self) -> impl Iterator<Item = &AuthMechanism> {
        self.ixit
            .auth_mechanisms
            .iter()
            .filter(|m| m.factor == AuthFactor::Password)
    }
}

fn pointer_or_root(p: String) -> String {
    if p.is_empty() {
        "/".into()
    } else {
        p
    }
}

/// Checks the schema cannot express: unique names, references, real values.
fn cross_check(raw: &RawProfile) -> Vec<ProfileIssue> {
    let mut issues = Vec::new();
    let mut push = |path: String, message: String| issues.push(ProfileIssue { path, message });

    let mut names = BTreeSet::new();
    for (i, iface) in raw.ixit.interfaces.iter().enumerate() {
        if !names.insert(iface.name.as_str()) {
            push(
                format!("/ixit/interfaces/{i}/name"),
                format!("interface name {:?} is used twice", iface.name),
            );
        }
        if let Some(login) = &iface.login {
            if !login.fits(iface.protocol) {
                let fitting = LoginMethod::kinds_for(iface.protocol);
                push(
                    format!("/ixit/interfaces/{i}/login/kind"),
                    format!(
                        "login kind {:?} does not fit protocol {:?} ({})",
                        login.kind(),
                        iface.protocol,
                        if fitting.is_empty() {
                            "no login kind fits it".to_string()
                        } else {
                            format!("it takes {}", fitting.join(", "))
                        }
                    ),
                );
            }
        }
    }
    let mut ids = BTreeSet::new();
    for (i, m) in raw.ixit.auth_mechanisms.iter().enumerate() {
        if !ids.insert(m.id.as_str()) {
            push(
                format!("/ixit/auth_mechanisms/{i}/id"),
                format!("mechanism id {:?} is used twice", m.id),
            );
        }
        for (j, name) in m.interfaces.iter().enumerate() {
            if !names.contains(name.as_str()) {
                push(
                    format!("/ixit/auth_mechanisms/{i}/interfaces/{j}"),
                    format!("no interface named {name:?} in /ixit/interfaces"),
                );
            }
        }
        if m.factor == AuthFactor::Password && m.password.is_none() {
            push(
                format!("/ixit/auth_mechanisms/{i}/password"),
                "a password mechanism must describe its password policy".into(),
            );
        }
    }
    let mut serials = BTreeSet::new();
    for (i, u) in raw.units.iter().enumerate() {
        if !serials.insert(u.serial.as_str()) {
            push(
                format!("/units/{i}/serial"),
                format!("serial {:?} is declared twice", u.serial),
            );
        }
    }
    issues.extend(crate::endpoints::cross_check(&raw.ixit));
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provision_ids() {
        for ok in ["4-1", "5.1-1", "5.13-1", "6-5", "5.3-16"] {
            assert!(ProvisionId::parse(ok).is_some(), "{ok}");
        }
        for bad in ["5.14-1", "5-1", "5.1-", "x", "5.1-123", "7-1"] {
            assert!(ProvisionId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn origin() {
        assert_eq!(
            origin_of("https://www.acme.example/support/x"),
            "https://www.acme.example"
        );
        assert_eq!(origin_of("https://a.example"), "https://a.example");
    }
}
