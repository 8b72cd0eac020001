//! The service driven in-process through its router (`oneshot`), without a
//! listener: the label page and the JSON API for a genuine label, a label
//! with one signature byte changed, and a label from a lab nobody trusts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use iotmark_labels::claims::{Claims, ReportDigest};
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec, LabCredentials};
use iotmark_labels::qr::encode_digits;
use iotmark_serve::{ConnectionLimits, ServeConfig, Service};
use time::macros::date;
use tower::ServiceExt as _;

fn lab(authority: &AuthorityCredentials, name: &str) -> LabCredentials {
    authority
        .issue_lab(&CertificateSpec::lab(name, &["uk-psti".to_owned()]))
        .unwrap()
}

fn claims() -> Claims {
    let today = time::OffsetDateTime::now_utc().date();
    Claims {
        serial: 7,
        issued: today,
        manufacturer: "Acme Connected Devices Ltd".into(),
        model: "AC-CAM-200".into(),
        firmware: "2.4.1".into(),
        gtin: None,
        support_end: today + time::Duration::days(5 * 365),
        disclosure_contact: "https://acme-connected.example/security/report".into(),
        schemes: vec!["uk-psti".into()],
        report_sha256: ReportDigest::compact(b"{\"verdict\":\"conformant\"}"),
        simulated: false,
    }
}

fn config(dir: &Path, anchor: &Path, labs: Vec<std::path::PathBuf>) -> ServeConfig {
    ServeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        trust_anchor: anchor.to_path_buf(),
        lab_cert: labs,
        trust_list: None,
        registry: None,
        status: vec![dir.join("no-status-list.cose")],
        tls_cert: None,
        tls_key: None,
        rate_limit: 0,
        rate_burst: 0,
        request_timeout: Duration::from_secs(5),
        body_memory: 8 * 1024 * 1024,
        connections: ConnectionLimits {
            max_connections: 8,
            max_per_client: 8,
            header_timeout: Duration::from_secs(5),
            lifetime: Duration::from_secs(60),
            keep_alive: Duration::from_secs(10),
        },
        contact: "mailto:security@iotmark.example".into(),
        support_end: date!(2031 - 12 - 31),
        now: None,
    }
}

async fn get(service: &Service, uri: &str) -> (StatusCode, String) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = service.router().oneshot(request).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_router_judges_genuine_altered_and_untrusted_labels_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let authority =
        AuthorityCredentials::generate(&CertificateSpec::authority("Test Accreditation Body"))
            .unwrap();
    let anchor = authority.write(&dir.path().join("authority")).unwrap();
    let trusted = lab(&authority, "Trusted Lab Ltd");
    let lab_pem = trusted.write(&dir.path().join("lab")).unwrap();
    // A second lab, certified by the same authority but not named to the service.
    let stranger = lab(&authority, "Unlisted Lab Ltd");

    let genuine = trusted.signer().unwrap().sign(&claims()).unwrap();
    let mut altered = genuine.as_bytes().to_vec();
    let last = altered.len() - 1;
    altered[last] ^= 0x01;
    let unlisted = stranger.signer().unwrap().sign(&claims()).unwrap();

    let service = Service::build(config(dir.path(), &anchor, vec![lab_pem])).unwrap();

    let digits = encode_digits(genuine.as_bytes());
    let (status, page) = get(&service, &format!("/l/{digits}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("AC-CAM-200"), "the product is named: {page}");
    assert!(
        page.contains(&(claims().support_end.year()).to_string()),
        "the support end is shown"
    );

    let (status, json) = get(&service, &format!("/api/v1/verify/{digits}")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["status"], "valid", "{json}");
    assert_eq!(json["valid"], true);

    let (_, json) = get(
        &service,
        &format!("/api/v1/verify/{}", encode_digits(&altered)),
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["valid"], false,
        "an altered signature is refused: {json}"
    );
    assert_ne!(json["status"], "valid");

    let (status, page) = get(
        &service,
        &format!("/l/{}", encode_digits(unlisted.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("AC-CAM-200"),
        "a label the service cannot trust shows no product: {page}"
    );

    let (status, _) = get(&service, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&service, "/l/not-digits").await;
    assert!(status.is_client_error(), "{status}");
}
