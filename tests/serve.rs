//! `iotmark serve` end to end over loopback: the built binary serves labels
//! made with the CLI (keys, run on a simulated camera, issue, revoke), and
//! reqwest drives it — the label page in its four states, the JSON API, the
//! registry and log endpoints checked with the CLI's own proof checker,
//! hostile requests, limits, headers, logs, metrics, and the project's own
//! UK PSTI suite run against the server.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use util::*;

/// Labels and keys made once for every test in this binary.
struct Fixture {
    root: PathBuf,
    valid: String,
    revoked: String,
    forged: String,
}

impl Fixture {
    fn anchor(&self) -> PathBuf {
        self.root.join("authority/authority.pem")
    }
    fn registry(&self) -> PathBuf {
        self.root.join("lab/registry.db")
    }
    fn lab_cert(&self) -> PathBuf {
        self.root.join("lab/lab.pem")
    }
}

fn ok(run: Run, what: &str) -> Run {
    assert_eq!(run.code, 0, "{what}: {}\n{}", run.stdout, run.stderr);
    run
}

fn digits_of(url_file: &Path) -> String {
    let url = std::fs::read_to_string(url_file).unwrap();
    url.trim().rsplit('/').next().unwrap().to_string()
}

fn make_lab(root: &Path, authority: &str, lab: &str, name: &str) {
    ok(
        iotmark([
            "keys",
            "init-authority",
            "--name",
            &format!("{name} Accreditation Body"),
            "--out",
            root.join(authority).to_str().unwrap(),
        ]),
        "init-authority",
    );
    ok(
        iotmark([
            "keys",
            "init-lab",
            "--authority",
            root.join(authority).to_str().unwrap(),
            "--name",
            &format!("{name} Test Lab"),
            "--out",
            root.join(lab).to_str().unwrap(),
        ]),
        "init-lab",
    );
}

/// Seal the fixture's run with `lab`'s key and issue a demonstration label
/// from it (the run is against a simulated product).
fn issue(root: &Path, lab: &str, out: &str) -> String {
    seal(
        &root.join("run"),
        &root.join(lab).join("lab.key"),
        &root.join(lab).join("lab.pem"),
    );
    ok(
        iotmark([
            "issue",
            "--allow-simulated",
            "--report",
            root.join("run/report.json").to_str().unwrap(),
            "--key",
            root.join(lab).join("lab.key").to_str().unwrap(),
            "--cert",
            root.join(lab).join("lab.pem").to_str().unwrap(),
            "--out",
            root.join(out).to_str().unwrap(),
        ]),
        "issue",
    );
    digits_of(&root.join(out).join("label.url"))
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("serve-fixture-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        make_lab(&root, "authority", "lab", "Test");
        let run = run_psti("good-camera", &root.join("run"), &[]);
        assert_eq!(run.code, 0, "good-camera run: {}", run.stderr);
        // A label for a tested product: the run here is against a simulated
        // one, so the lab signs the claims `issue` would, without the
        // demonstration mark (as for a product it really tested).
        let valid_url = sign_raw_label(
            &root.join("lab/lab.key"),
            &root.join("lab/lab.pem"),
            claims_for_report(&root.join("run/report.json"), 1),
            Some(&root.join("lab/registry.db")),
            &root.join("label-1"),
        );
        let valid = valid_url.rsplit('/').next().unwrap().to_string();
        let revoked = issue(&root, "lab", "label-2");
        ok(
            iotmark([
                "revoke",
                "--registry",
                root.join("lab/registry.db").to_str().unwrap(),
                "--serial",
                "2",
                "--key",
                root.join("lab/lab.key").to_str().unwrap(),
                "--cert",
                root.join("lab/lab.pem").to_str().unwrap(),
                "--reason",
                "firmware recalled",
            ]),
            "revoke",
        );
        // A forger's own "accreditation body" and lab: a well-formed, signed
        // label that does not chain to the real authority.
        make_lab(&root, "rogue-authority", "rogue-lab", "Rogue");
        let forged = issue(&root, "rogue-lab", "label-forged");
        Fixture {
            root,
            valid,
            revoked,
            forged,
        }
    })
}

/// A running `iotmark serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    stderr: PathBuf,
    /// The line of JSON it printed on start.
    address_line: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let f = fixture();
        Server::start_for(&f.anchor(), &f.registry(), extra)
    }

    /// A server for another authority and registry than the fixture's.
    fn start_for(anchor: &Path, registry: &Path, extra: &[&str]) -> Server {
        let f = fixture();
        let stderr = f.root.join(format!(
            "serve-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(bin())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--trust-anchor",
                anchor.to_str().unwrap(),
                "--registry",
                registry.to_str().unwrap(),
            ])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("serve printed {line:?}: {e}"));
        let base = json["listening"].as_str().unwrap().to_string();
        Server {
            child,
            base,
            stderr,
            address_line: line,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn addr(&self) -> String {
        let base = self.base.as_str();
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .unwrap_or(base);
        host.to_string()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn get_text(url: &str) -> (u16, String) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let (status, text) = get_text(url).await;
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"));
    (status, json)
}

/// The text a reader sees: tags dropped, whitespace collapsed.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn label_page_in_its_four_states() {
    let f = fixture();
    let server = Server::start(&[]);

    let (status, page) = get_text(&server.url(&format!("/l/{}", f.valid))).await;
    assert_eq!(status, 200);
    let text = visible(&page);
    assert!(page.contains("<html lang=\"en\">"), "{page}");
    assert!(page.contains("class=\"status valid\""), "{page}");
    assert!(
        text.contains("Security updates until 31 December 2031"),
        "{text}"
    );
    assert!(text.contains("left."), "time left is shown: {text}");
    assert!(
        page.contains("href=\"https://www.goodcam.example/security/disclosure-policy\""),
        "clickable contact: {page}"
    );
    for expected in [
        "Goodcam Devices Ltd GC-200",
        "Test Test Lab",
        "UK product security law",
        "Report a security problem",
        "Who tested it",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    // Headings in order, one h1.
    assert_eq!(page.matches("<h1>").count(), 1);
    assert!(page.find("<h1>").unwrap() < page.find("<h2>").unwrap());

    // The QR code's upper-case URL arrives with an upper-case path.
    let (status, upper) = get_text(&server.url(&format!("/L/{}", f.valid))).await;
    assert_eq!(status, 200);
    assert!(upper.contains("class=\"status valid\""));

    let (status, page) = get_text(&server.url(&format!("/l/{}", f.revoked))).await;
    assert_eq!(status, 200);
    let text = visible(&page);
    assert!(page.contains("class=\"status danger\""), "{page}");
    assert!(text.contains("Do not rely on this label"), "{text}");
    assert!(text.contains("withdrawn"), "{text}");
    assert!(text.contains("revoked"), "{text}");

    let (status, page) = get_text(&server.url(&format!("/l/{}", f.forged))).await;
    assert_eq!(status, 200);
    let text = visible(&page);
    assert!(page.contains("class=\"status danger\""), "{page}");
    assert!(text.contains("Do not rely on this label"), "{text}");
    assert!(text.contains("could not be verified"), "{text}");
    // A forged label gets no say: no product, no contact link.
    assert!(!text.contains("GC-200"), "{text}");
    assert!(!page.contains("goodcam.example"), "{page}");

    // The stylesheet the page links is served, and every page is script-free.
    let (status, css) = get_text(&server.url("/assets/label.css")).await;
    assert_eq!(status, 200);
    assert!(css.contains(".valid{background:#0b6b2f"));
    assert!(!page.contains("<script"));

    // Support ended: the same label judged after its support end date.
    let later = Server::start(&["--now", "2032-03-01"]);
    let (status, page) = get_text(&later.url(&format!("/l/{}", f.valid))).await;
    assert_eq!(status, 200);
    let text = visible(&page);
    assert!(page.contains("class=\"status ended\""), "{page}");
    assert!(
        text.contains("Security updates ended on 31 December 2031"),
        "{text}"
    );
    assert!(
        text.contains("1 March 2032"),
        "the fixed date is shown: {text}"
    );
}

/// `POST /api/v1/verify` with one label; the JSON verdict.
async fn post_verify(api: &str, label: &str) -> serde_json::Value {
    let r = client()
        .post(api)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&serde_json::json!({ "label": label })).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

/// The path and query of a label's GS1 Digital Link, as `issue` recorded it.
fn digital_link_path(label_dir: &Path) -> String {
    let issued: serde_json::Value =
        serde_json::from_slice(&std::fs::read(label_dir.join("label.json")).unwrap()).unwrap();
    let link = issued["digital_link_url"].as_str().unwrap();
    let start = link.find("/01/").expect("a Digital Link path");
    link[start..].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn gs1_digital_link_opens_the_page_only_for_its_gtin() {
    let f = fixture();
    let server = Server::start(&[]);
    let link = digital_link_path(&f.root.join("label-1"));
    assert!(link.starts_with("/01/05012345678900?L="), "{link}");
    let digits = link.rsplit('=').next().unwrap();
    assert_eq!(digits, f.valid);

    // What a phone opens from a Digital Link QR code: the label page.
    let (status, page) = get_text(&server.url(&link)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("class=\"status valid\""), "{page}");
    assert!(visible(&page).contains("Goodcam Devices Ltd GC-200"));

    // The same link naming another product (a valid GTIN, not this
    // label's): the genuine label is not that product's label. Asked after
    // and before the right link, so no cached answer crosses over.
    let other = format!("/01/04006381333931?L={digits}");
    for _ in 0..2 {
        let (status, page) = get_text(&server.url(&other)).await;
        assert_eq!(status, 200);
        let text = visible(&page);
        assert!(page.contains("class=\"status danger\""), "{page}");
        assert!(text.contains("Do not rely on this label"), "{text}");
        assert!(
            text.contains(
                "names GTIN 04006381333931, but the label is signed for GTIN 05012345678900"
            ),
            "{text}"
        );
        assert!(!text.contains("GC-200"), "no product shown: {text}");
        assert!(
            !page.contains("goodcam.example"),
            "no contact shown: {page}"
        );
        let (_, page) = get_text(&server.url(&link)).await;
        assert!(page.contains("class=\"status valid\""), "{page}");
    }

    // GS1 qualifiers after the GTIN, the 13-digit GTIN and a lower-case
    // key are the same link.
    for variant in [
        format!("/01/05012345678900/21/GC200-0001?L={digits}"),
        format!("/01/5012345678900?l={digits}&linkType=all"),
    ] {
        let (status, page) = get_text(&server.url(&variant)).await;
        assert_eq!(status, 200, "{variant}");
        assert!(page.contains("class=\"status valid\""), "{variant}: {page}");
    }

    // A GTIN with a wrong check digit is a bad request; a product link
    // without a label is not found here.
    let (status, body) = get_text(&server.url(&format!("/01/05012345678901?L={digits}"))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("check digit"), "{body}");
    let (status, _) = get_text(&server.url("/01/05012345678900")).await;
    assert_eq!(status, 404);

    // The JSON API judges a Digital Link URL the same way.
    let api = server.url("/api/v1/verify");
    let j = post_verify(&api, &format!("HTTPS://IOTMARK.EXAMPLE{other}")).await;
    assert_eq!(j["status"], "invalid", "{j}");
    assert!(
        j["reason"].as_str().unwrap().contains("04006381333931"),
        "{j}"
    );
    let j = post_verify(&api, &format!("https://iotmark.example{link}")).await;
    assert_eq!(j["status"], "valid", "{j}");

    // The route is counted under its pattern, never under the digits.
    let (_, metrics) = get_text(&server.url("/metrics")).await;
    assert!(
        metrics.contains("iotmark_http_requests_total{route=\"/01/{gtin}\",status=\"200\"} 6"),
        "{metrics}"
    );
    assert!(!metrics.contains(digits));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_api_agrees_with_the_cli() {
    let f = fixture();
    let server = Server::start(&[]);
    let (status, one) = get_json(&server.url(&format!("/api/v1/verify/{}", f.valid))).await;
    assert_eq!(status, 200);
    let cli = iotmark([
        "verify",
        f.root.join("label-1/label.cose").to_str().unwrap(),
        "--trust-anchor",
        f.anchor().to_str().unwrap(),
        "--lab-cert",
        f.lab_cert().to_str().unwrap(),
        "--status",
        f.root.join("lab/status-list.cose").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    let cli = cli.json();
    for field in ["valid", "status", "reason", "claims", "issuer"] {
        assert_eq!(one[field], cli[field], "{field}");
    }
    assert_eq!(one["revocation"]["checked"], true);
    assert_eq!(one["revocation"]["source"], "status-list");
    assert_eq!(one["revocation"]["revoked"], false);

    // POST with the QR URL, and with the date to judge on.
    let url = std::fs::read_to_string(f.root.join("label-1/label.url")).unwrap();
    let r = client()
        .post(server.url("/api/v1/verify"))
        .header("content-type", "application/json")
        .body(
            serde_json::to_vec(&serde_json::json!({ "label": url.trim(), "at": "2032-01-01" }))
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let j: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(j["status"], "support-ended");
    assert_eq!(j["checked_on"], "2032-01-01");

    // A tampered label: one digit of the signature changed.
    let mut tampered = f.valid.clone().into_bytes();
    let i = tampered.len() - 20;
    tampered[i] = if tampered[i] == b'1' { b'2' } else { b'1' };
    let tampered = String::from_utf8(tampered).unwrap();

    let r = client()
        .post(server.url("/api/v1/verify/batch"))
        .header("content-type", "application/json")
        .body(
            serde_json::to_vec(&serde_json::json!({ "labels": [
                f.valid, f.revoked, f.forged, tampered, "not-a-label", url.trim()
            ]}))
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let batch: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let statuses: Vec<&str> = batch["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["status"]
                .as_str()
                .unwrap_or_else(|| r["error"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        statuses,
        [
            // A rogue authority's lab is not one this service knows: it
            // cannot vouch either way (the page still says not to rely on it).
            "valid",
            "revoked",
            "unverifiable",
            "invalid",
            "bad-request",
            "valid"
        ]
    );
    assert_eq!(batch["summary"]["valid"], 2);
    assert_eq!(batch["summary"]["revoked"], 1);
    assert_eq!(batch["summary"]["unverifiable"], 1);
    assert_eq!(batch["summary"]["invalid"], 1);
    assert_eq!(batch["summary"]["not-a-label"], 1);
    assert!(batch["results"][2]["reason"]
        .as_str()
        .unwrap()
        .contains("no lab certificate"));

    // Verdicts are cached by label hash, revocation is not: the metrics show
    // cache hits, and the revoked label stayed revoked.
    let (_, metrics) = get_text(&server.url("/metrics")).await;
    let hits: u64 = metrics
        .lines()
        .find(|l| l.starts_with("iotmark_verification_cache_total{result=\"hit\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(hits >= 1, "{metrics}");
    assert!(metrics.contains("iotmark_label_verifications_total{status=\"revoked\"} 1"));
    assert!(metrics.contains("# TYPE iotmark_http_request_duration_seconds histogram"));
    let (status, health) = get_json(&server.url("/healthz")).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["status_lists"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_log_and_status_lists() {
    let f = fixture();
    let server = Server::start(&[]);
    let (status, page1) = get_json(
        &server.url("/api/v1/labels?manufacturer=goodcam%20devices%20ltd&model=GC-200&per_page=1"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page1["total"], 2);
    assert_eq!(page1["items"][0]["serial"], 1);
    assert_eq!(page1["next_page"], 2);
    let (_, page2) =
        get_json(&server.url(
            "/api/v1/labels?manufacturer=Goodcam%20Devices%20Ltd&model=gc-200&per_page=1&page=2",
        ))
        .await;
    assert_eq!(page2["items"][0]["serial"], 2);
    assert!(page2["next_page"].is_null());
    let (_, none) = get_json(&server.url("/api/v1/labels?manufacturer=Nobody")).await;
    assert_eq!(none["total"], 0);
    let (status, _) = get_json(&server.url("/api/v1/labels?per_page=100000")).await;
    assert_eq!(status, 400);

    let (status, one) = get_json(&server.url("/api/v1/labels/1")).await;
    assert_eq!(status, 200);
    assert_eq!(one["digits"], f.valid.as_str());
    let (status, missing) = get_json(&server.url("/api/v1/labels/99")).await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"], "not-found");

    let (status, head) = get_json(&server.url("/api/v1/log/head")).await;
    assert_eq!(status, 200);
    assert_eq!(head["tree_size"], 2);

    // The proofs the server hands out check with the CLI's offline checker.
    for path in [
        "/api/v1/log/inclusion/1",
        "/api/v1/log/consistency?from=1&to=2",
    ] {
        let (status, text) = get_text(&server.url(path)).await;
        assert_eq!(status, 200, "{path}: {text}");
        let file = f.root.join(format!("proof-{}.json", path.len()));
        std::fs::write(&file, text).unwrap();
        let check = iotmark([
            "log",
            "verify",
            file.to_str().unwrap(),
            "--cert",
            f.lab_cert().to_str().unwrap(),
            "--trust-anchor",
            f.anchor().to_str().unwrap(),
        ]);
        assert_eq!(check.code, 0, "{path}: {}{}", check.stdout, check.stderr);
    }

    // The status list served is the lab's signed one: the CLI fetches it
    // from the server and finds label 2 revoked.
    let (_, lists) = get_json(&server.url("/api/v1/status-lists")).await;
    let kid = lists["status_lists"][0]["kid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(lists["status_lists"][0]["revoked"], 1);
    let cache = f.root.join(format!("status-cache-{kid}"));
    let cli = iotmark([
        "verify",
        f.root.join("label-2/label.cose").to_str().unwrap(),
        "--trust-anchor",
        f.anchor().to_str().unwrap(),
        "--status",
        &server.url(&format!("/api/v1/status-lists/{kid}")),
        "--status-cache",
        cache.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(cli.code, 1, "{}", cli.stderr);
    assert_eq!(cli.json()["status"], "revoked");

    // Without a registry, its endpoints say so instead of failing.
    let bare = {
        let mut child = Command::new(bin())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--trust-anchor",
                f.anchor().to_str().unwrap(),
                "--lab-cert",
                f.lab_cert().to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base: serde_json::Value = serde_json::from_str(&line).unwrap();
        (child, base["listening"].as_str().unwrap().to_string())
    };
    let (mut child, base) = bare;
    let (status, j) = get_json(&format!("{base}/api/v1/log/head")).await;
    assert_eq!(status, 404);
    assert_eq!(j["error"], "unavailable");
    let (status, j) = get_json(&format!("{base}/api/v1/verify/{}", f.valid)).await;
    assert_eq!(status, 200);
    assert_eq!(j["status"], "valid");
    assert_eq!(j["revocation"]["checked"], false);
    let _ = child.kill();
    let _ = child.wait();
}

fn revoke(root: &Path, serial: u64, out: Option<&Path>) {
    let mut args = vec![
        "revoke".to_string(),
        "--registry".into(),
        root.join("lab/registry.db").to_str().unwrap().into(),
        "--serial".into(),
        serial.to_string(),
        "--key".into(),
        root.join("lab/lab.key").to_str().unwrap().into(),
        "--cert".into(),
        root.join("lab/lab.pem").to_str().unwrap().into(),
        "--reason".into(),
        "battery recall".into(),
    ];
    if let Some(out) = out {
        args.push("--out".into());
        args.push(out.to_str().unwrap().into());
    }
    ok(iotmark(args), "revoke");
}

/// Asks for the label page and the JSON verdict until the label is revoked
/// (or `limit` passes); returns how long that took and the JSON verdict.
async fn until_revoked(
    server: &Server,
    digits: &str,
    limit: Duration,
) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    loop {
        let (_, mut page) = get_text(&server.url(&format!("/l/{digits}"))).await;
        let (_, json) = get_json(&server.url(&format!("/api/v1/verify/{digits}"))).await;
        if json["status"] == "revoked" && !page.contains("class=\"status danger\"") {
            // The revocation was learnt between the two requests: the page
            // asked again must now be red too (a revocation never goes back).
            page = get_text(&server.url(&format!("/l/{digits}"))).await.1;
        }
        let red = page.contains("class=\"status danger\"");
        assert_eq!(
            red,
            json["status"] == "revoked",
            "page and API agree: {json}"
        );
        if red {
            return (started.elapsed(), json);
        }
        assert!(
            started.elapsed() < limit,
            "still not revoked after {limit:?}: {json}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_label_turns_red_as_soon_as_the_revocation_is_known() {
    let f = fixture();
    // A lab of its own, so the shared fixture's labels keep their state.
    let root = f
        .root
        .join(format!("live-revocation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy_run(&f.root.join("run"), &root.join("run"));
    make_lab(&root, "authority", "lab", "Live");
    // Labels 1 and 2 for tested products, 3 a demonstration label.
    let mut labels: Vec<String> = (1..=2)
        .map(|n| {
            let url = sign_raw_label(
                &root.join("lab/lab.key"),
                &root.join("lab/lab.pem"),
                claims_for_report(&root.join("run/report.json"), n),
                Some(&root.join("lab/registry.db")),
                &root.join(format!("label-{n}")),
            );
            url.rsplit('/').next().unwrap().to_string()
        })
        .collect();
    labels.push(issue(&root, "lab", "label-3"));
    // Label 3 is on the signed status list from the start.
    revoke(&root, 3, None);
    let server = Server::start_for(
        &root.join("authority/authority.pem"),
        &root.join("lab/registry.db"),
        &[],
    );
    let (_, json) = get_json(&server.url(&format!("/api/v1/verify/{}", labels[2]))).await;
    assert_eq!(json["status"], "revoked", "{json}");
    // Labels 1 and 2 are green, and their answers are cached.
    for digits in &labels[..2] {
        for _ in 0..3 {
            let (_, page) = get_text(&server.url(&format!("/l/{digits}"))).await;
            assert!(page.contains("class=\"status valid\""), "{page}");
            let (_, json) = get_json(&server.url(&format!("/api/v1/verify/{digits}"))).await;
            assert_eq!(json["status"], "valid", "{json}");
            assert_eq!(json["revocation"]["checked"], true, "{json}");
        }
    }
    let (_, metrics) = get_text(&server.url("/metrics")).await;
    assert!(
        !metrics.contains("iotmark_verification_cache_total{result=\"hit\"} 0"),
        "{metrics}"
    );

    // The lab revokes label 1 and signs a new status list: red within a
    // reload interval (1 s), though its green page was cached.
    revoke(&root, 1, None);
    let (took, json) = until_revoked(&server, &labels[0], Duration::from_secs(3)).await;
    assert!(
        json["reason"].as_str().unwrap().contains("revoked"),
        "{json}"
    );
    eprintln!("label 1 red after {took:?}");

    // The lab records the revocation of label 2 in its registry but has not
    // published the new status list yet (written elsewhere): the registry
    // alone turns it red, and says so.
    revoke(&root, 2, Some(&root.join("unpublished-status-list.cose")));
    let (took, json) = until_revoked(&server, &labels[1], Duration::from_secs(3)).await;
    eprintln!("label 2 red after {took:?}");
    let reason = json["reason"].as_str().unwrap();
    assert!(reason.contains("registry"), "{json}");
    assert!(reason.contains("battery recall"), "{json}");
    assert_eq!(json["valid"], false, "{json}");
    // Checked, against the registry: not "unchecked" beside a red verdict.
    assert_eq!(json["revocation"]["checked"], true, "{json}");
    assert_eq!(json["revocation"]["source"], "registry", "{json}");
    assert_eq!(json["revocation"]["revoked"], true, "{json}");
    assert!(json["revocation"]["revoked_at"].is_string(), "{json}");
    assert!(
        json["revocation"]["note"]
            .as_str()
            .unwrap()
            .contains("does not list it yet"),
        "{json}"
    );
    // And the one revoked from the start is still red; the status list served
    // is still the lab's published one (labels 1 and 3).
    let (_, json) = get_json(&server.url(&format!("/api/v1/verify/{}", labels[2]))).await;
    assert_eq!(json["status"], "revoked");
    let (_, lists) = get_json(&server.url("/api/v1/status-lists")).await;
    assert_eq!(lists["status_lists"][0]["revoked"], 2, "{lists}");

    // A server started on the registry alone (no status list at all) knows
    // every revocation the registry records.
    std::fs::remove_file(root.join("lab/status-list.cose")).unwrap();
    let fresh = Server::start_for(
        &root.join("authority/authority.pem"),
        &root.join("lab/registry.db"),
        &[],
    );
    for digits in &labels {
        let (_, json) = get_json(&fresh.url(&format!("/api/v1/verify/{digits}"))).await;
        assert_eq!(json["status"], "revoked", "{json}");
        assert!(
            json["reason"].as_str().unwrap().contains("registry"),
            "{json}"
        );
    }
}

/// Sends raw bytes and returns what came back before the server closed (or
/// `timeout` passed).
fn raw_exchange(addr: &str, request: &[u8], timeout: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_requests_get_4xx_and_others_keep_being_served() {
    let f = fixture();
    let server = Server::start(&["--header-timeout", "1", "--request-timeout", "2"]);
    let long = "1".repeat(12_000);
    for (path, want) in [
        ("/l/12ab34".to_string(), 400),
        ("/l/%3Cscript%3E".to_string(), 400),
        ("/l/..%2F..%2Fetc%2Fpasswd".to_string(), 400),
        (format!("/l/{long}"), 400),
        ("/api/v1/verify/abc".to_string(), 400),
        ("/api/v1/labels/not-a-number".to_string(), 400),
        ("/api/v1/labels?page=0".to_string(), 400),
        ("/api/v1/status-lists/zz".to_string(), 400),
        ("/nowhere".to_string(), 404),
        ("/api/v1/nowhere".to_string(), 404),
    ] {
        let (status, body) = get_text(&server.url(&path)).await;
        let shown: String = path.chars().take(60).collect();
        assert_eq!(status, want, "{shown}: {body}");
        // Nothing internal in an error body.
        for leak in ["panicked", "sqlite", "src/", ".rs:", "/tmp", "serde"] {
            assert!(!body.contains(leak), "{path} leaks {leak:?}: {body}");
        }
        if path.starts_with("/api/") {
            let j: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(j["error"].is_string(), "{body}");
        }
    }
    // A request head over the 16 KiB cap is refused by the HTTP layer.
    let (status, _) = get_text(&server.url(&format!("/l/{}", "1".repeat(20_000)))).await;
    assert_eq!(status, 431);
    // Digits that are not a label: a red page, not an error.
    let (status, page) = get_text(&server.url("/l/123")).await;
    assert_eq!(status, 200);
    assert!(visible(&page).contains("Do not rely on this label"));

    // Oversized body: refused from its declared length, before any of it is
    // sent. (Sent whole, the client may still be writing when the server
    // answers 413 and closes, and sees a broken pipe instead of the answer.)
    let head = format!(
        "POST /api/v1/verify/batch HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.addr(),
        3 * 1024 * 1024
    );
    let (answer, _) = raw_exchange(&server.addr(), head.as_bytes(), Duration::from_secs(5));
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "an oversized body is refused unread: {answer}"
    );
    // The server closes a connection whose body it refused to read; a fresh
    // client does not race that close by reusing it.
    let c = client();
    // Malformed JSON, wrong fields, and too many labels.
    for body in [
        "{\"label\":",
        "{\"labels\":[1,2]}",
        "[]",
        "{\"label\":\"1\",\"extra\":true}",
    ] {
        let r = c
            .post(server.url("/api/v1/verify"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
    }
    let many: Vec<String> = (0..1001).map(|_| "123".to_string()).collect();
    let r = c
        .post(server.url("/api/v1/verify/batch"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&serde_json::json!({ "labels": many })).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = c
        .delete(server.url(&format!("/l/{}", f.valid)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);

    // A slow client that never finishes its headers is told 408 and cut off
    // at the header deadline; a client that promises a body and stalls gets
    // 408 at the request deadline: both are the client's slowness, not a
    // fault of ours. Meanwhile others are served at once.
    let addr = server.addr();
    let slow_headers = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            raw_exchange(
                &addr,
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                Duration::from_secs(10),
            )
        })
    };
    let slow_body = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            raw_exchange(
                &addr,
                b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"label\":",
                Duration::from_secs(10),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let (status, _) = get_text(&server.url(&format!("/l/{}", f.valid))).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_millis(900));
    let (answer, waited) = slow_headers.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "slow headers cut off after {waited:?}"
    );
    let (answer, waited) = slow_body.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request-timeout"), "{answer}");
    assert!(waited < Duration::from_secs(6), "{waited:?}");
    let (status, _) = get_text(&server.url("/healthz")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_headers_and_logs() {
    let f = fixture();
    let server = Server::start(&["--rate-limit", "1", "--rate-burst", "3"]);
    let c = client();
    let mut codes = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let r = c
            .get(server.url(&format!("/l/{}", f.valid)))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
        if r.status().as_u16() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
        } else {
            let h = r.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("default-src 'none'"), "{csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["referrer-policy"], "no-referrer");
            assert_eq!(h["x-frame-options"], "DENY");
            assert_eq!(h["cache-control"], "no-store");
        }
    }
    assert_eq!(&codes[..3], &[200, 200, 200], "{codes:?}");
    assert_eq!(codes[4], 429, "{codes:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = c.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "the bucket refills");

    // The access log names routes, never the label digits.
    let log = server.log();
    assert!(log.contains("/l/{digits}"), "{log}");
    assert!(!log.contains(&f.valid[..40]), "a label leaked into the log");
}

#[tokio::test(flavor = "multi_thread")]
async fn security_txt_is_rfc_9116() {
    let server = Server::start(&["--contact", "mailto:security@verify.example"]);
    let r = client()
        .get(server.url("/.well-known/security.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(text.contains("Contact: mailto:security@verify.example\n"));
    let expires = text
        .lines()
        .find_map(|l| l.strip_prefix("Expires: "))
        .unwrap();
    let expires =
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert!(expires > now && expires < now + time::Duration::days(366));
}

#[test]
fn the_service_passes_the_psti_suite_pointed_at_itself() {
    let f = fixture();
    let server = Server::start(&["--support-end", "2031-12-31"]);
    let port: u16 = server.addr().rsplit(':').next().unwrap().parse().unwrap();
    let dir = f.root.join(format!("selftest-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    // The example profile describes a deployment at its public name over
    // HTTPS; here the same service answers on loopback over HTTP, under the
    // same public name: the run connects to 127.0.0.1 for it (--resolve, as
    // curl's), so the declaration keeps its name and nothing depends on
    // what this machine's resolver says.
    let host = "verify.iotmark.example";
    let profile = edited_profile("iotmark-serve", &dir, "profile.json", |p| {
        let text = serde_json::to_string(&p["ixit"]["user_info"]).unwrap();
        let text = text.replace(&format!("https://{host}"), &format!("http://{host}:{port}"));
        p["ixit"]["user_info"] = serde_json::from_str(&text).unwrap();
        p["ixit"]["interfaces"][0]["protocol"] = "http".into();
        p["ixit"]["interfaces"][0]["port"] = port.into();
    });
    let run = iotmark([
        "run",
        "--profile",
        profile.to_str().unwrap(),
        "--device",
        "net:127.0.0.1",
        "--resolve",
        &format!("{host}:127.0.0.1"),
        "--scheme",
        "uk-psti",
        "--out",
        dir.join("out").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report = run.json();
    let cases = case_verdicts(&report);
    // The declaration names public web addresses; the functional checks
    // fetch the service's own pages from them.
    for case in ["5.2-1-1", "5.2-1-2", "5.3-13-1", "5.3-13-2"] {
        assert_eq!(cases[case], "PASS", "{case}: {}", run.stdout);
    }
    // No passwords: the password provisions do not apply.
    assert_eq!(cases["5.1-1-1"], "NOT_APPLICABLE");
    assert_eq!(cases["5.1-2-2"], "NOT_APPLICABLE");
    assert_eq!(report["verdict"], "conformant", "{}", run.stdout);
    assert_eq!(run.code, 0);
    // The report records that the public name was not looked up.
    assert_eq!(
        report["settings"]["resolve"],
        serde_json::json!([format!("{host}:127.0.0.1")])
    );
    assert_eq!(report["settings"]["rate_per_second"], 20, "net: default");
    // The pages really came from this server, under the public name.
    let evidence = std::fs::read_to_string(dir.join("out/evidence.jsonl")).unwrap();
    assert!(
        evidence.contains(&format!("http://{host}:{port}/security/disclosure-policy")),
        "{evidence}"
    );
    let (_, metrics) = get_text_blocking(&server.url("/metrics"));
    assert!(
        metrics.contains("route=\"/security/disclosure-policy\",status=\"200\""),
        "{metrics}"
    );
}

/// A GET from a plain thread (this test runs the CLI, not a runtime).
fn get_text_blocking(url: &str) -> (u16, String) {
    let url = url.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move { get_text(&url).await })
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_https_with_rustls() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: openssl is not installed (CI installs it)");
        return;
    }
    let f = fixture();
    let dir = f.root.join(format!("tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A test CA and a server certificate for 127.0.0.1 signed by it.
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Serve Test CA",
        ],
    );
    openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    let server = Server::start(&[
        "--tls-cert",
        dir.join("server.pem").to_str().unwrap(),
        "--tls-key",
        dir.join("server.key").to_str().unwrap(),
    ]);
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let r = client
        .get(server.url(&format!("/l/{}", f.valid)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    assert!(r.text().await.unwrap().contains("class=\"status valid\""));
    let (status, json) = {
        let r = client
            .get(server.url(&format!("/api/v1/verify/{}", f.revoked)))
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).unwrap(),
        )
    };
    assert_eq!(status, 200);
    assert_eq!(json["status"], "revoked", "{json}");
    // A client that does not trust the certificate gets nowhere.
    assert!(client_without_roots()
        .get(server.url("/healthz"))
        .send()
        .await
        .is_err());
    // Both protocols are offered by ALPN, and the chain verifies for a
    // client holding the test CA (openssl's own client, not ours).
    for (alpn, want) in [
        ("h2", "ALPN protocol: h2"),
        ("http/1.1", "ALPN protocol: http/1.1"),
    ] {
        let out = Command::new("openssl")
            .current_dir(&dir)
            .args([
                "s_client",
                "-connect",
                &server.addr(),
                "-alpn",
                alpn,
                "-CAfile",
                "ca.pem",
                "-verify_return_error",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(want), "{alpn}: {text}");
        assert!(
            text.contains("Verify return code: 0 (ok)"),
            "{alpn}: {text}"
        );
    }
    // Plain HTTP on the TLS port is not answered as HTTP.
    let (answer, _) = raw_exchange(
        &server.addr(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(!answer.contains("200 OK"), "{answer}");
}

fn client_without_roots() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Sends one HTTP/1.1 request for /healthz on `stream` and returns what came
/// back (empty when the server closed the connection without answering).
fn healthz_over(mut stream: TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The server may already have closed it: a failed write reads back empty.
    let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A (blocking) stream to `addr` from the loopback source address `source`.
async fn connect_from(source: &str, addr: &str) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_cannot_take_every_connection() {
    let server = Server::start(&["--max-connections-per-client", "4"]);
    let addr = server.addr();
    // Four idle connections from 127.0.0.1: its whole share.
    let mut idle: Vec<TcpStream> = Vec::new();
    for _ in 0..4 {
        idle.push(connect_from("127.0.0.1", &addr).await);
    }
    std::thread::sleep(Duration::from_millis(200));
    // A fifth from the same address is closed without an answer...
    let refused = healthz_over(connect_from("127.0.0.1", &addr).await);
    assert!(refused.is_empty(), "{refused}");
    // ...while another client is served.
    let other = healthz_over(connect_from("127.0.0.2", &addr).await);
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
    // Once the idle ones go, 127.0.0.1 is served again.
    drop(idle);
    std::thread::sleep(Duration::from_millis(200));
    let again = healthz_over(connect_from("127.0.0.1", &addr).await);
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    let metrics = get_from(&addr, "/metrics").await;
    assert!(
        metrics.contains("iotmark_connections_refused_total 1"),
        "{metrics}"
    );
}

/// GET `path` from the loopback source address 127.0.0.3.
async fn get_from(addr: &str, path: &str) -> String {
    let mut stream = connect_from("127.0.0.3", addr).await;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Reads from `s` until the server closes it or `limit` passes: the bytes,
/// and whether it closed.
fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while started.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (out, true),
        }
    }
    (out, false)
}

/// The HTTP/2 frame types in `bytes` (frames as the server sent them).
fn h2_frame_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut at = 0;
    while at + 9 <= bytes.len() {
        let len = usize::from(bytes[at]) << 16
            | usize::from(bytes[at + 1]) << 8
            | usize::from(bytes[at + 2]);
        types.push(bytes[at + 3]);
        at += 9 + len;
    }
    types
}

/// An HTTP/2 connection (prior knowledge, no TLS) that opens and goes quiet.
fn quiet_h2(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    // An empty SETTINGS frame.
    s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
    s
}

#[test]
fn idle_connections_are_closed() {
    let server = Server::start(&["--header-timeout", "2", "--keep-alive-timeout", "1"]);

    // A connection that sends nothing is closed at the header deadline,
    // counted from accept, without an answer.
    let started = Instant::now();
    let mut s = TcpStream::connect(server.addr()).unwrap();
    let (bytes, closed) = read_until_closed(&mut s, Duration::from_secs(8));
    let took = started.elapsed();
    assert!(closed, "still open after {took:?}");
    assert!(bytes.is_empty(), "{bytes:?}");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "closed after {took:?}"
    );

    // Slowloris: a header line a byte at a time does not move the
    // deadline (bytes until 1.7 s; were the deadline moved by them, the
    // close would come after 3.7 s); the client is told 408.
    let started = Instant::now();
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    while started.elapsed() < Duration::from_millis(1700) {
        s.write_all(b"a").unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(8));
    let took = started.elapsed();
    assert!(closed, "still open after {took:?}");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_millis(2800),
        "closed after {took:?}"
    );

    // An HTTP/2 connection that opens and goes quiet has no request head
    // either: a GOAWAY at the header deadline.
    let started = Instant::now();
    let mut s = quiet_h2(&server.addr());
    let (bytes, closed) = read_until_closed(&mut s, Duration::from_secs(8));
    let took = started.elapsed();
    assert!(closed, "still open after {took:?}");
    assert!(took >= Duration::from_millis(1900), "closed after {took:?}");
    assert_eq!(
        h2_frame_types(&bytes).first(),
        Some(&4),
        "the server's SETTINGS"
    );
    assert!(
        h2_frame_types(&bytes).contains(&7),
        "a GOAWAY frame: {bytes:?}"
    );

    // An HTTP/1.1 keep-alive connection after its answer: closed after a
    // second without a byte (the keep-alive), before the header deadline.
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let (bytes, closed) = read_until_closed(&mut s, Duration::from_secs(8));
    let took = started.elapsed();
    assert!(String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 200"));
    assert!(closed, "still open after {took:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1900),
        "closed after {took:?}"
    );
    let metrics = get_text_blocking(&server.url("/metrics")).1;
    assert!(
        metrics.contains("iotmark_header_timeouts_total 3"),
        "{metrics}"
    );
}

/// The address line `serve` prints, for a server started with `extra`.
fn address_line(extra: &[&str]) -> (Server, serde_json::Value) {
    let f = fixture();
    let server = Server::start_for(&f.anchor(), &f.registry(), extra);
    let line = server.address_line.clone();
    (server, serde_json::from_str(&line).unwrap())
}

#[test]
fn the_connection_cap_fits_under_the_open_file_limit_and_a_full_service_closes_at_once() {
    // Asked for more connections than the raised open-file limit allows:
    // lowered to fit under it with room to spare, and said so.
    let (server, line) = address_line(&["--max-connections", "100000000"]);
    let limit = line["open_files_limit"].as_u64().unwrap();
    let max = line["max_connections"].as_u64().unwrap();
    assert!(max < limit && max + 64 <= limit, "{line}");
    assert!(
        server
            .log()
            .contains("--max-connections lowered to fit the open-file limit"),
        "{}",
        server.log()
    );
    drop(server);

    // Every slot taken: one more is closed at once, no waiting in the
    // backlog; once a slot is free, it is served again.
    let (server, line) = address_line(&["--max-connections", "3"]);
    assert_eq!(line["max_connections"], 3, "{line}");
    let addr = server.addr();
    let held: Vec<TcpStream> = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
        .iter()
        .map(|src| connect_from_blocking(src, &addr))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let refused = healthz_over(connect_from_blocking("127.0.0.14", &addr));
    assert!(refused.is_empty(), "{refused}");
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    let served = healthz_over(connect_from_blocking("127.0.0.14", &addr));
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
}

/// A blocking stream to `addr` from the loopback source address `source`.
fn connect_from_blocking(source: &str, addr: &str) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    rt.block_on(connect_from(source, addr))
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_beyond_the_memory_budget_wait_then_get_503_with_retry_after() {
    // A budget of one largest body (2 MiB): a stalled upload that declared
    // 2 MiB holds all of it.
    let server = Server::start(&["--body-memory-mib", "2", "--request-timeout", "5"]);
    let addr = server.addr();
    let mut hog = TcpStream::connect(&addr).unwrap();
    hog.write_all(
        format!(
            "POST /api/v1/verify/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"labels\":[",
            2 * 1024 * 1024
        )
        .as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // A single verification is a small body, with room of its own: served
    // at once.
    let f = fixture();
    let verify_valid = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{{\"label\":\"{}\"}}",
        f.valid.len() + 12,
        f.valid
    );
    let started = Instant::now();
    let (answer, _) = raw_exchange(&addr, verify_valid.as_bytes(), Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"valid\""), "{answer}");
    assert!(started.elapsed() < Duration::from_millis(900));
    // Another large body finds no room: it waits about a second, then is
    // told to come back, with nothing of it read into memory.
    let started = Instant::now();
    let (answer, _) = raw_exchange(
        &addr,
        b"POST /api/v1/verify/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{\"labels\":[",
        Duration::from_secs(5),
    );
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
    assert!(answer.contains("\"busy\""), "{answer}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The stalled upload is the client's slowness: 408 at the deadline,
    // and its room is given back.
    let (bytes, _) = read_until_closed(&mut hog, Duration::from_secs(8));
    assert!(
        String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let many = serde_json::to_vec(&serde_json::json!({
        "labels": vec![f.valid.clone(); 150],
    }))
    .unwrap();
    assert!(many.len() > 64 * 1024);
    let r = client()
        .post(server.url("/api/v1/verify/batch"))
        .header("content-type", "application/json")
        .body(many)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let j: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(j["summary"]["valid"], 150, "{j}");
    let metrics = get_text(&server.url("/metrics")).await.1;
    assert!(
        metrics.contains("iotmark_body_budget_refused_total 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demonstration_label_is_grey_never_green() {
    let f = fixture();
    // A lab of its own: its registry is its key's one registry.
    let root = f.root.join(format!("demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    make_lab(&root, "authority", "lab", "Demo");
    copy_run(&f.root.join("run"), &root.join("run"));
    let digits = issue(&root, "lab", "label");
    let server = Server::start_for(
        &root.join("authority/authority.pem"),
        &root.join("lab/registry.db"),
        &[],
    );
    let (status, page) = get_text(&server.url(&format!("/l/{digits}"))).await;
    assert_eq!(status, 200);
    let text = visible(&page);
    assert!(page.contains("class=\"status demo\""), "{page}");
    assert!(!page.contains("class=\"status valid\""), "{page}");
    assert!(
        text.contains("Demonstration label — not a tested product"),
        "{text}"
    );
    assert!(
        !text.contains("passed independent security testing"),
        "{text}"
    );
    let (_, css) = get_text(&server.url("/assets/label.css")).await;
    assert!(css.contains(".demo{background:#5f6368"), "{css}");
    let (_, json) = get_json(&server.url(&format!("/api/v1/verify/{digits}"))).await;
    assert_eq!(json["claims"]["simulated"], true, "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_status_list_is_amber_never_green() {
    let f = fixture();
    let root = f.root.join(format!("stale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    make_lab(&root, "authority", "lab", "Stale");
    let (key, cert) = (root.join("lab/lab.key"), root.join("lab/lab.pem"));
    let url = sign_raw_label(
        &key,
        &cert,
        claims_for_report(&f.root.join("run/report.json"), 1),
        Some(&root.join("lab/registry.db")),
        &root.join("label"),
    );
    let digits = url.rsplit('/').next().unwrap().to_string();
    // The lab's list, past its next update: it can no longer say the label
    // was not withdrawn.
    let signer = iotmark_labels::LabelSigner::from_files(&key, &cert).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let stale = iotmark_labels::status::StatusList::new(
        [],
        2,
        now - time::Duration::days(9),
        now - time::Duration::days(2),
    )
    .unwrap()
    .sign(&signer)
    .unwrap();
    std::fs::write(root.join("lab/status-list.cose"), stale).unwrap();
    let server = Server::start_for(
        &root.join("authority/authority.pem"),
        &root.join("lab/registry.db"),
        &[],
    );
    let (status, page) = get_text(&server.url(&format!("/l/{digits}"))).await;
    assert_eq!(status, 200);
    let text = visible(&page);
    assert!(page.contains("class=\"status ended\""), "{page}");
    assert!(!page.contains("class=\"status valid\""), "{page}");
    assert!(
        text.contains("could not check whether this label was withdrawn"),
        "{text}"
    );
    let (_, json) = get_json(&server.url(&format!("/api/v1/verify/{digits}"))).await;
    assert_eq!(json["status"], "unverifiable", "{json}");
    assert_eq!(json["revocation"]["checked"], false, "{json}");

    // Once the lab publishes a fresh list (nothing revoked), it is green.
    let r = iotmark([
        "status",
        "publish",
        "--registry",
        root.join("lab/registry.db").to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut green = String::new();
    for _ in 0..50 {
        let (_, page) = get_text(&server.url(&format!("/l/{digits}"))).await;
        if page.contains("class=\"status valid\"") {
            green = page;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!green.is_empty(), "the fresh list was not picked up");
}
