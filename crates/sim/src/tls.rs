//! Certificates made when a simulated product starts: a self-signed
//! certificate for the device's own HTTPS admin (as a real camera makes on first
//! boot), and a certificate authority plus a leaf for the manufacturer's website
//! (so a client can verify the website properly, trusting only that CA).
//!
//! rustls uses the ring provider, chosen explicitly, so nothing depends on which
//! provider happens to be installed process-wide.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use time::{Duration, OffsetDateTime};

use super::SimError;

/// The manufacturer website's PKI: the CA clients must trust, and the server
/// configuration presenting a leaf for the website hosts.
#[derive(Debug)]
pub struct WebsitePki {
    pub ca_pem: String,
    pub server_config: Arc<ServerConfig>,
}

fn cert_error(what: &'static str) -> impl FnOnce(rcgen::Error) -> SimError {
    move |e| SimError::Certificate {
        what,
        detail: e.to_string(),
    }
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
}

/// A CA named after the manufacturer and a leaf for `hosts` signed by it.
pub fn website_pki(manufacturer: &str, hosts: &[String]) -> Result<WebsitePki, SimError> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())
        .map_err(cert_error("website CA parameters"))?;
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, manufacturer);
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("{manufacturer} simulated web root CA"),
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut ca_params, 3650);
    let ca_key = KeyPair::generate().map_err(cert_error("website CA key"))?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)
        .map_err(cert_error("website CA certificate"))?;

    let mut leaf_params =
        CertificateParams::new(hosts.to_vec()).map_err(cert_error("website host names"))?;
    leaf_params.distinguished_name = rcgen::DistinguishedName::new();
    leaf_params
        .distinguished_name
        .push(DnType::OrganizationName, manufacturer);
    if let Some(first) = hosts.first() {
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    validity(&mut leaf_params, 397);
    let leaf_key = KeyPair::generate().map_err(cert_error("website key"))?;
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .map_err(cert_error("website certificate"))?;

    let server_config = server_config(
        vec![leaf.der().clone(), ca.der().clone()],
        leaf_key.serialize_der(),
    )?;
    Ok(WebsitePki {
        ca_pem: ca.pem(),
        server_config,
    })
}

/// A self-signed certificate for the device's admin interface, valid for the
/// loopback address and `<hostname>.local`.
pub fn device_tls(
    hostname: &str,
    model: &str,
    serial: &str,
) -> Result<Arc<ServerConfig>, SimError> {
    let names = vec![
        "127.0.0.1".to_string(),
        format!("{hostname}.local"),
        hostname.to_string(),
    ];
    let mut params = CertificateParams::new(names).map_err(cert_error("device host names"))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{model} {serial}"));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut params, 3650);
    let key = KeyPair::generate().map_err(cert_error("device key"))?;
    let cert = params
        .self_signed(&key)
        .map_err(cert_error("device certificate"))?;
    server_config(vec![cert.der().clone()], key.serialize_der())
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    pkcs8_key: Vec<u8>,
) -> Result<Arc<ServerConfig>, SimError> {
    let tls_error = |e: rustls::Error| SimError::Tls {
        detail: e.to_string(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(
            chain,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8_key)),
        )
        .map_err(tls_error)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
