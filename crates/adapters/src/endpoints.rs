//! The declared functions of the device beyond logging in: its API endpoints
//! (IXIT 28-ExtAPI, 13-SoftServ), sensors (22-ExtSens), personal data
//! (21-PersData), resilience (23-ResMech) and an update test image, and the
//! request a step sends to one endpoint ([`ApiCall`]) with what came back
//! ([`ApiAnswer`]).
//!
//! Endpoints take `application/x-www-form-urlencoded` fields, as the admin
//! APIs of most consumer devices do; each field declares its kind and limits
//! so the input validation test knows what must be refused.

use serde::{Deserialize, Serialize};

use crate::device::Credential;
use crate::profile::{Ixit, ProfileIssue};
use crate::secret::Secret;

/// The HTTP methods a declared endpoint may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApiMethod {
    Get,
    Post,
}

impl ApiMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiMethod::Get => "GET",
            ApiMethod::Post => "POST",
        }
    }
}

/// What an endpoint does, for the tests that need a particular one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ApiFunction {
    /// Reports the device's state (model, firmware…).
    Status,
    /// Reads (GET) or changes (POST) settings.
    Settings,
    /// Replaces the authentication value; its `password` field is the new one.
    PasswordChange,
    /// Accepts a software image in its `base64` field.
    FirmwareUpdate,
    /// Stores (POST) or lists (GET) the user's data.
    UserData,
    /// Erases the user's data on the device.
    EraseUserData,
    /// Reads (GET) or sets (POST) the automatic update and update
    /// notification switches; its fields are the settings.
    UpdateSettings,
    /// Reads (GET) or gives and withdraws (POST) the user's consents; its
    /// fields are the consents, `true` given and `false` withdrawn.
    Consent,
    #[default]
    Other,
}

/// The kind of value a field takes: what the device must refuse follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// Decimal integer within `minimum`..=`maximum`.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// Letters, digits, space, `-`, `_` and `.`.
    Name,
    /// Printable text without control characters.
    Text,
    /// A password: printable text.
    Password,
    /// Standard base64.
    Base64,
}

/// One form field of an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiField {
    pub name: String,
    pub kind: FieldKind,
    /// Longest value in bytes the endpoint accepts.
    #[serde(default)]
    pub max_length: Option<u32>,
    #[serde(default)]
    pub minimum: Option<i64>,
    #[serde(default)]
    pub maximum: Option<i64>,
    /// A valid value, sent when another field is under test.
    #[serde(default)]
    pub example: Option<String>,
}

/// One declared endpoint of the device's API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiEndpoint {
    pub id: String,
    /// Name of the interface (in `interfaces`) that serves it.
    pub interface: String,
    pub method: ApiMethod,
    pub path: String,
    /// Answers only after authentication by a mechanism guarding the interface.
    pub authenticated: bool,
    /// Changes security-relevant configuration.
    #[serde(default)]
    pub changes_configuration: bool,
    #[serde(default)]
    pub function: ApiFunction,
    #[serde(default)]
    pub fields: Vec<ApiField>,
}

/// IXIT 22-ExtSens: one sensing capability.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensor {
    /// What it is called in the user documentation (`camera`, `microphone`).
    pub name: String,
    pub description: String,
}

/// IXIT 21-PersData: one kind of personal data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    /// What is processed, as the privacy notice names it.
    pub data: String,
    /// Why, as the privacy notice names it.
    pub purpose: String,
    /// Who processes it, as the privacy notice names them.
    pub processor: String,
}

/// IXIT 23-ResMech.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resilience {
    pub description: String,
    /// Endpoints (ids in `api_endpoints`) that keep working without the
    /// upstream network and after a power cut.
    pub local_functions: Vec<String>,
}

/// IXIT 2-UserInfo and 26-UserDec: the secure set-up the published guidance
/// walks a user through, and the checks it tells them to make.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecureSetup {
    /// Each security-relevant step, as the set-up guidance names it.
    pub steps: Vec<String>,
    /// Where the guidance for checking the set-up is published.
    #[serde(default)]
    pub check_url: Option<String>,
    #[serde(default)]
    pub checks: Vec<SetupCheck>,
}

/// One check of the set-up a user is told to make, and where the device
/// shows the answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupCheck {
    /// What is checked, as the guidance names it.
    pub name: String,
    /// The endpoint (id in `api_endpoints`) whose JSON answer shows it.
    pub endpoint: String,
    /// The member of that answer that holds it.
    pub field: String,
    /// Its value on a securely configured device.
    pub secure_value: String,
}

/// IXIT 24-TelData: the telemetry the product collects, and where users are
/// told about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telemetry {
    /// Where the telemetry information for users is published.
    pub url: String,
    /// What is collected, why and by whom, as that page names them.
    pub items: Vec<PersonalData>,
}

/// IXIT 11-ComMech: the connection the device opens to its cloud service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudLink {
    /// The communication mechanism (id in `communications`) it carries.
    pub communication: String,
    pub host: String,
    pub port: u16,
    /// The declared reconnection back-off: the first retry waits at least
    /// this long, and each later one at least as long as the one before,
    /// doubling up to `max_delay_ms`.
    pub initial_delay_ms: u32,
    pub max_delay_ms: u32,
    /// Values from the unit's personal data (an account e-mail, a recording
    /// title stored before a capture) that must not be readable in its cloud
    /// traffic; looked for in a capture (`iotmark run --capture`).
    #[serde(default)]
    pub personal_data_markers: Vec<String>,
}

/// How a signed update image is laid out: the signed payload followed by a
/// fixed-length signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestImage {
    /// The `firmware-update` endpoint (id in `api_endpoints`) to offer it to.
    pub endpoint: String,
    /// The image, base64.
    pub image_base64: String,
    /// The software version the device reports once it is installed.
    pub version: String,
    /// Bytes of signature at the end of the image.
    pub signature_length: u32,
}

/// Cross-references between the new tables. An endpoint on an interface the
/// profile does not declare is not refused here: the test cases that use it
/// are INCONCLUSIVE and say why.
pub fn cross_check(ixit: &Ixit) -> Vec<ProfileIssue> {
    let mut issues = Vec::new();
    let mut push = |path: String, message: String| issues.push(ProfileIssue { path, message });
    let endpoint_ids: Vec<&str> = ixit.api_endpoints.iter().map(|e| e.id.as_str()).collect();
    for (i, e) in ixit.api_endpoints.iter().enumerate() {
        if endpoint_ids.iter().filter(|id| **id == e.id).count() > 1 {
            push(
                format!("/ixit/api_endpoints/{i}/id"),
                format!("endpoint id {:?} is used twice", e.id),
            );
        }
    }
    let known = |id: &str| endpoint_ids.contains(&id);
    for (i, m) in ixit.update_mechanisms.iter().enumerate() {
        if let Some(t) = &m.test_image {
            if !known(&t.endpoint) {
                push(
                    format!("/ixit/update_mechanisms/{i}/test_image/endpoint"),
                    format!("no endpoint {:?} in /ixit/api_endpoints", t.endpoint),
                );
            }
        }
    }
    for (i, d) in ixit.deletion_functions.iter().enumerate() {
        if let Some(e) = &d.endpoint {
            if !known(e) {
                push(
                    format!("/ixit/deletion_functions/{i}/endpoint"),
                    format!("no endpoint {e:?} in /ixit/api_endpoints"),
                );
            }
        }
    }
    if let Some(s) = &ixit.secure_setup {
        for (j, c) in s.checks.iter().enumerate() {
            if !known(&c.endpoint) {
                push(
                    format!("/ixit/secure_setup/checks/{j}/endpoint"),
                    format!("no endpoint {:?} in /ixit/api_endpoints", c.endpoint),
                );
            }
        }
    }
    if let Some(c) = &ixit.cloud_link {
        if !ixit.communications.iter().any(|m| m.id == c.communication) {
            push(
                "/ixit/cloud_link/communication".into(),
                format!("no mechanism {:?} in /ixit/communications", c.communication),
            );
        }
    }
    if let Some(r) = &ixit.resilience {
        for (j, e) in r.local_functions.iter().enumerate() {
            if !known(e) {
                push(
                    format!("/ixit/resilience/local_functions/{j}"),
                    format!("no endpoint {e:?} in /ixit/api_endpoints"),
                );
            }
        }
    }
    issues
}

/// A form field value to send; secrets are masked in evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallValue {
    Text(String),
    Secret(Secret),
}

/// One request to a device port.
#[derive(Debug, Clone)]
pub struct ApiCall {
    /// The device port (as a real unit numbers it).
    pub port: u16,
    /// Whether the port speaks TLS.
    pub tls: bool,
    pub method: ApiMethod,
    pub path: String,
    pub credential: Option<Credential>,
    pub fields: Vec<(String, CallValue)>,
    /// What the request is for, recorded in the evidence.
    pub kind: String,
}

/// What the device answered.
#[derive(Debug, Clone, Serialize)]
pub struct ApiAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub truncated: bool,
}

impl ApiAnswer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The HTTP probe's request for `call`, sent to `addr` with `host` as the
/// `Host` header. The device's own certificate is accepted and recorded.
pub fn http_request(
    call: &ApiCall,
    addr: std::net::SocketAddr,
    host: &str,
) -> Result<crate::probe::http::HttpRequest, crate::device::ProbeError> {
    use crate::probe::http::{host_header, FormValue, HttpRequest, Url};
    let scheme = if call.tls { "https" } else { "http" };
    let text = format!("{scheme}://{addr}{}", call.path);
    let url = Url::parse(&text).map_err(|e| crate::device::ProbeError::Other {
        target: text.clone(),
        detail: format!("cannot form a URL: {e}"),
    })?;
    let fields: Vec<(String, FormValue)> = call
        .fields
        .iter()
        .map(|(name, value)| {
            let value = match value {
                CallValue::Text(t) => FormValue::Text(t.clone()),
                CallValue::Secret(s) => FormValue::Secret(s.clone()),
            };
            (name.clone(), value)
        })
        .collect();
    let mut request = match call.method {
        ApiMethod::Get => {
            let mut url = url;
            if !fields.is_empty() {
                let mut pairs = url.query_pairs_mut();
                for (name, value) in &call.fields {
                    let v = match value {
                        CallValue::Text(t) => t.as_str(),
                        CallValue::Secret(s) => s.expose(),
                    };
                    pairs.append_pair(name, v);
                }
            }
            HttpRequest::get(url)
        }
        ApiMethod::Post => HttpRequest::post_form(url, fields),
    };
    request = request
        .with_kind(&call.kind)
        .with_host(host_header(host, addr.port(), call.tls))
        .accept_any_device_certificate();
    if let Some(c) = &call.credential {
        request = request.with_basic(c.clone());
    }
    Ok(request)
}

/// Images derived from a correctly signed one, each of which a secure update
/// mechanism must refuse: (what it is, bytes).
pub fn refused_images(image: &[u8], signature_length: usize) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    if image.len() <= signature_length {
        return out;
    }
    let payload_len = image.len() - signature_length;
    // The signature replaced by zeros: an unsigned image of the same shape.
    let mut unsigned = image.to_vec();
    unsigned[payload_len..].iter_mut().for_each(|b| *b = 0);
    out.push(("an unsigned image (signature zeroed)", unsigned));
    // One bit of the last payload byte flipped: the header still reads.
    let mut altered = image.to_vec();
    altered[payload_len - 1] ^= 0x01;
    out.push(("an altered image (one payload bit flipped)", altered));
    out
}

/// The payload of `image` signed with a fresh Ed25519 key the manufacturer
/// never saw: an image from outside the trust relationship. `None` when the
/// signature is not 64 bytes or no key could be made.
pub fn foreign_signed_image(image: &[u8], signature_length: usize) -> Option<Vec<u8>> {
    use ring::signature::Ed25519KeyPair;
    if signature_length != 64 || image.len() <= signature_length {
        return None;
    }
    let payload = &image[..image.len() - signature_length];
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).ok()?;
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).ok()?;
    let mut out = payload.to_vec();
    out.extend_from_slice(key.sign(payload).as_ref());
    Some(out)
}

/// Standard base64 of `bytes` (update images travel in a form field).
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of standard base64 `text`, if it is that.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}
